/**
 * Fault switches: faults an operator (the console, a test, curl) turns on at the local AWS edge
 * (aws-proxy.ts) through `/local/faults`, so that retries, backoff, the circuit breaker and the
 * dead-letter queues can be watched working on demand. A switch names a service (ses | sqs), an
 * optional action (`SendEmail`, `SendMessage`, …; any action when absent), a kind and an optional
 * count; each matching call consumes one count, and a switch without a count acts until cleared.
 *
 * Only the functions' calls are faulted: a call counts when it is signed with a function
 * sandbox's access key. The SQS pollers (playing the event source mappings) and the DLQ tools
 * talk to the emulator directly, never through the edge, so they are never faulted either way.
 *
 * A "call" is one logical SDK call (its amz-sdk-invocation-id), not one HTTP attempt: the SDK
 * retries an SQS call once, and that retry meets the same fault without consuming another count.
 * So `count: 1` on SendMessage makes exactly one SendMessage fail, as the caller sees it.
 *
 * Kinds, as AWS answers them (status and error code the SDK parses):
 *   throttle   SES 429 TooManyRequestsException · SQS 400 RequestThrottled
 *   reject     SES 400 MessageRejected · SQS 400 InvalidMessageContents (permanent)
 *   fail       SES 500 InternalServiceErrorException · SQS 500 InternalFailure
 *   timeout    not forwarded; held silent longer than the caller's SDK budget, so its own
 *              timeout fires (SES: the function's SES_REQUEST_TIMEOUT_MS; SQS: SQS_BUDGET)
 *   hang       not forwarded; held silent until the switch is cleared (the SDK's timeout still
 *              ends the call on the caller's side, as it would on AWS)
 *   loseAnswer forwarded (the service acts), then the connection is dropped instead of answered
 */
import { randomBytes } from "node:crypto";
import { type CallBudget, worstCaseMs } from "#shared/aws/http-handler.ts";
import { sesBudget } from "#shared/aws/ses-client.ts";
import { SQS_BUDGET } from "#shared/aws/sqs-client.ts";
import { configSchema } from "#shared/config.ts";
import type { AwsCall, AwsProxy, Verdict } from "./aws-proxy.ts";

export const FAULT_SERVICES = ["ses", "sqs"] as const;
export type FaultService = (typeof FAULT_SERVICES)[number];
export const FAULT_KINDS = ["throttle", "reject", "fail", "timeout", "hang", "loseAnswer"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  readonly service: FaultService;
  readonly kind: FaultKind;
  /** Calls it acts on; undefined: until cleared. */
  readonly count?: number | undefined;
  /** The API action it acts on (`SendEmail`); undefined: every action of the service. */
  readonly action?: string | undefined;
}

export interface Fault {
  readonly id: string;
  readonly service: FaultService;
  readonly action: string | null;
  readonly kind: FaultKind;
  /** Calls left; null: until cleared. */
  readonly remaining: number | null;
  readonly createdAt: string;
}

export interface FaultSwitches {
  /** The switches still acting, oldest first (the first that matches a call decides). */
  list(): Fault[];
  add(spec: FaultSpec): Fault;
  /** False when no switch has that id (spent, cleared or never made). */
  remove(id: string): boolean;
  clear(): void;
  /** Unhooks the switches from the edges and releases every held call. */
  close(): void;
}

export interface FaultSwitchesOptions {
  readonly edges: Readonly<Record<FaultService, Pick<AwsProxy, "use">>>;
  /** The function whose sandbox signs with this access key; undefined: not a function's call. */
  readonly functionOf: (accessKeyId: string) => string | undefined;
  /** A function's environment, to read its SDK budget (SES_REQUEST_TIMEOUT_MS). */
  readonly environmentOf: (functionName: string) => Readonly<Record<string, string>>;
}

/** How far past the caller's budget a `timeout` holds the call: its timeout fires first. */
const TIMEOUT_MARGIN_MS = 1000;
/** How long the retries of a faulted call keep meeting its fault (far past any SDK budget). */
const CLAIM_TTL_MS = 120_000;

const ERRORS: Readonly<Record<FaultService, Record<"throttle" | "reject" | "fail", Verdict>>> = {
  ses: {
    throttle: {
      kind: "error",
      status: 429,
      code: "TooManyRequestsException",
      message: "Maximum sending rate exceeded. (fault injected by /local/faults)",
    },
    reject: {
      kind: "error",
      status: 400,
      code: "MessageRejected",
      message: "Email address is not verified. (fault injected by /local/faults)",
    },
    fail: {
      kind: "error",
      status: 500,
      code: "InternalServiceErrorException",
      message: "Internal service error. (fault injected by /local/faults)",
    },
  },
  sqs: {
    throttle: {
      kind: "error",
      status: 400,
      code: "RequestThrottled",
      message: "Request is throttled. (fault injected by /local/faults)",
    },
    reject: {
      kind: "error",
      status: 400,
      code: "InvalidMessageContents",
      message: "The message contains characters outside the allowed set. (fault injected by /local/faults)",
    },
    fail: {
      kind: "error",
      status: 500,
      code: "InternalFailure",
      message: "The request processing has failed. (fault injected by /local/faults)",
    },
  },
};

interface Switch {
  fault: Fault;
  /** Resolves when the switch is removed or cleared: releases the calls it holds (`hang`). */
  readonly released: Promise<void>;
  readonly release: () => void;
}

interface Claim {
  readonly switchId: string;
  readonly verdict: () => Verdict;
  readonly expiresAt: number;
}

export function createFaultSwitches(options: FaultSwitchesOptions): FaultSwitches {
  const switches: Switch[] = [];
  /** Logical calls already faulted (by service and invocation id): their retries meet the same. */
  const claims = new Map<string, Claim>();
  /** Timers of held `timeout` calls, so close() can release them at once. */
  const holds = new Set<() => void>();

  const budgetOf = (service: FaultService, functionName: string): CallBudget => {
    if (service === "sqs") return SQS_BUDGET;
    const configured = options.environmentOf(functionName).SES_REQUEST_TIMEOUT_MS;
    return sesBudget({ SES_REQUEST_TIMEOUT_MS: configSchema.shape.SES_REQUEST_TIMEOUT_MS.parse(configured) });
  };

  const holdFor = (ms: number, released: Promise<void>): Promise<void> =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        holds.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      holds.add(done);
      void released.then(done);
    });

  const verdictOf = (entry: Switch, functionName: string): (() => Verdict) => {
    const { kind, service } = entry.fault;
    switch (kind) {
      case "throttle":
      case "reject":
      case "fail":
        return () => ERRORS[service][kind];
      case "loseAnswer":
        return () => ({ kind: "loseAnswer" });
      case "hang":
        return () => ({ kind: "hold", until: entry.released });
      case "timeout": {
        const ms = worstCaseMs(budgetOf(service, functionName)) + TIMEOUT_MARGIN_MS;
        return () => ({ kind: "hold", until: holdFor(ms, entry.released) });
      }
    }
  };

  const drop = (entry: Switch) => {
    const at = switches.indexOf(entry);
    if (at >= 0) switches.splice(at, 1);
  };

  const inspectorFor =
    (service: FaultService) =>
    (call: AwsCall): Verdict | undefined => {
      const functionName = options.functionOf(call.accessKeyId);
      if (!functionName) return undefined;
      const now = Date.now();
      const claimKey = `${service}:${call.invocationId}`;
      const claim = claims.get(claimKey);
      if (claim && claim.expiresAt > now) return claim.verdict();
      for (const [key, old] of claims) if (old.expiresAt <= now) claims.delete(key);

      const entry = switches.find(
        (s) => s.fault.service === service && (s.fault.action === null || s.fault.action === call.action),
      );
      if (!entry) return undefined;
      const remaining = entry.fault.remaining;
      if (remaining !== null) {
        entry.fault = { ...entry.fault, remaining: remaining - 1 };
        // Spent: gone from the list, though the calls it holds stay held (a `hang` until cleared).
        if (remaining - 1 === 0) drop(entry);
      }
      const verdict = verdictOf(entry, functionName);
      claims.set(claimKey, { switchId: entry.fault.id, verdict, expiresAt: now + CLAIM_TTL_MS });
      return verdict();
    };

  const unhook = FAULT_SERVICES.map((service) => options.edges[service].use(inspectorFor(service)));

  /** Every switch ever made and not yet released, spent ones included: DELETE releases their holds. */
  const live = new Map<string, Switch>();

  const release = (entry: Switch) => {
    entry.release();
    drop(entry);
    live.delete(entry.fault.id);
    for (const [key, claim] of claims) if (claim.switchId === entry.fault.id) claims.delete(key);
  };

  return {
    list: () => switches.map((s) => s.fault),
    add: (spec) => {
      let releaseSwitch: () => void = () => undefined;
      const released = new Promise<void>((resolve) => {
        releaseSwitch = resolve;
      });
      const entry: Switch = {
        fault: {
          id: `flt_${randomBytes(6).toString("hex")}`,
          service: spec.service,
          action: spec.action ?? null,
          kind: spec.kind,
          remaining: spec.count ?? null,
          createdAt: new Date().toISOString(),
        },
        released,
        release: releaseSwitch,
      };
      switches.push(entry);
      live.set(entry.fault.id, entry);
      return entry.fault;
    },
    remove: (id) => {
      const entry = live.get(id);
      const listed = switches.some((s) => s.fault.id === id);
      if (entry) release(entry);
      return listed;
    },
    clear: () => {
      for (const entry of [...live.values()]) release(entry);
    },
    close: () => {
      for (const entry of [...live.values()]) release(entry);
      for (const done of [...holds]) done();
      for (const off of unhook) off();
    },
  };
}
