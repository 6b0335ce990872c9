/**
 * Scaling caps from the manifest: each queue's event source mapping has a maximum concurrency
 * (AWS's 2–1000), and a function may reserve concurrency. Defaults fit a new account and the SES
 * sandbox; values AWS would refuse, or that would throttle a queue's own worker, fail at synth.
 */
import { describe, expect, it, vi } from "vitest";
import {
  type AppManifest,
  DEFAULT_MAX_CONCURRENCY,
  type QueueSpec,
  manifest as realManifest,
} from "#shared/app/manifest.ts";
import { buildStack, logicalIdOf } from "#test/infra/support/build-stack.ts";
import { resourceById, resourcesOfType } from "#test/infra/support/template-queries.ts";

// Each synth takes seconds, and many more on two cores shared with other test files.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const emails = realManifest.queues.emails as QueueSpec;
const emailWorker = realManifest.functions.emailWorker;

function withEmails(queue: Partial<QueueSpec>, reservedConcurrency?: number): AppManifest {
  if (!emailWorker) throw new Error("no emailWorker");
  return {
    ...realManifest,
    functions: {
      ...realManifest.functions,
      emailWorker: { ...emailWorker, ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}) },
    },
    queues: { ...realManifest.queues, emails: { ...emails, ...queue } },
  };
}

describe("scaling caps", () => {
  it("caps each queue's event source mapping at the manifest's maxConcurrency", () => {
    const { stack, template } = buildStack();

    for (const [name, spec] of Object.entries(realManifest.queues)) {
      const queue = stack.queues[name as "emails" | "payments"];
      const worker = stack.functions[spec?.worker ?? ""];
      if (!queue || !worker || !spec) throw new Error(`no ${name}`);
      const mappings = Object.values(resourcesOfType(template, "AWS::Lambda::EventSourceMapping")).filter(
        (m) => JSON.stringify(m.Properties.EventSourceArn).includes(logicalIdOf(stack, queue.queue)),
      );
      expect(mappings, name).toHaveLength(1);
      expect(mappings[0]?.Properties.FunctionName, name).toEqual({ Ref: logicalIdOf(stack, worker) });
      expect(mappings[0]?.Properties.ScalingConfig, name).toEqual({
        MaximumConcurrency: spec.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
      });
    }
  });

  it("keeps the email worker at 2 by default: the SES sandbox sends 1 email per second", () => {
    expect(emails.maxConcurrency).toBe(2);
  });

  it("reserves no concurrency unless asked (a new account may have only 10)", () => {
    const { template } = buildStack();

    for (const fn of Object.values(resourcesOfType(template, "AWS::Lambda::Function"))) {
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });

  it("reserves a function's concurrency when its spec says so", () => {
    const { stack, template } = buildStack({ manifest: withEmails({}, 3) });
    const worker = stack.functions.emailWorker;
    if (!worker) throw new Error("no emailWorker");

    expect(resourceById(template, logicalIdOf(stack, worker)).Properties.ReservedConcurrentExecutions).toBe(
      3,
    );
  });

  it.each([1, 1001, 2.5])("fails at synth on maxConcurrency %s, outside AWS's 2–1000", (maxConcurrency) => {
    expect(() => buildStack({ manifest: withEmails({ maxConcurrency }) })).toThrow(
      `queue "emails": maxConcurrency (${maxConcurrency}) must be an integer from 2 to 1000`,
    );
  });

  it("fails at synth when a worker's reserved concurrency is below its queue's cap", () => {
    expect(() => buildStack({ manifest: withEmails({ maxConcurrency: 4 }, 3) })).toThrow(
      `queue "emails": its worker's reservedConcurrency (3) is below the queue's maxConcurrency (4)`,
    );
  });

  it("fails at synth on a reserved concurrency of 0 (it would stop the function)", () => {
    expect(() => buildStack({ manifest: withEmails({}, 0) })).toThrow(
      'function "emailWorker": reservedConcurrency (0) must be an integer from 1 to 1000',
    );
  });
});
