/**
 * An HTTP proxy in front of the SES emulator that answers some SendEmail calls with real SESv2
 * error responses (restJson1: status + `x-amzn-errortype` + JSON message) — the faults SES
 * produces that the emulator cannot. The test's plan decides per call; everything else is
 * forwarded untouched.
 */
import { createServer, type Server } from "node:http";
import { upstreamRequest } from "#infra/local/aws/upstream-request.ts";
import { closeNow, listenOnLoopback } from "./loopback-server.ts";
import { readBody } from "./read-body.ts";

export type FaultDecision =
  | { readonly kind: "forward" }
  | { readonly kind: "error"; readonly status: number; readonly errorType: string; readonly message: string }
  /** Forward, let SES accept, then never answer (the caller's process is about to die). */
  | { readonly kind: "forwardAndHold" }
  /** Read the whole request, never forward it, never answer: SES hangs after receiving it. */
  | { readonly kind: "hang" };

export interface SendCall {
  readonly n: number;
  readonly to: readonly string[];
  readonly subject: string;
}

export interface SesFaultProxy {
  readonly endpoint: string;
  readonly calls: SendCall[];
  readonly forwarded: SendCall[];
  setPlan(plan: (call: SendCall) => FaultDecision): void;
  /** Where forwarded calls go (the SES emulator), when it is known only after the proxy starts. */
  setTarget(target: string): void;
  /** Resolves when a `forwardAndHold` call has been accepted by SES. */
  held(): Promise<SendCall>;
  close(): Promise<void>;
}

export const throttle = (message = "Maximum sending rate exceeded."): FaultDecision => ({
  kind: "error",
  status: 429,
  errorType: "TooManyRequestsException",
  message,
});

export const reject = (message = "Email address is not verified."): FaultDecision => ({
  kind: "error",
  status: 400,
  errorType: "MessageRejected",
  message,
});

/** An IAM denial as SES words it: it names the account id and the caller's role. */
export const accessDenied = (): FaultDecision => ({
  kind: "error",
  status: 403,
  errorType: "AccessDeniedException",
  message:
    "User: arn:aws:sts::123456789012:assumed-role/Ferry-EmailWorkerFunctionRole-1A2B3C/Ferry-EmailWorker " +
    "is not authorized to perform: ses:SendEmail on resource: arn:aws:ses:us-east-1:123456789012:identity/a@example.com",
});

export const hang = (): FaultDecision => ({ kind: "hang" });

export async function startSesFaultProxy(target?: string): Promise<SesFaultProxy> {
  let upstream = new URL(target ?? "http://127.0.0.1:1");
  const calls: SendCall[] = [];
  const forwarded: SendCall[] = [];
  let plan: (call: SendCall) => FaultDecision = () => ({ kind: "forward" });
  const heldWaiters: Array<(call: SendCall) => void> = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const isSend = req.method === "POST" && (req.url ?? "").includes("/outbound-emails");
    let call: SendCall | undefined;
    let decision: FaultDecision = { kind: "forward" };
    if (isSend) {
      const parsed = JSON.parse(body.toString("utf8")) as {
        Destination?: { ToAddresses?: string[] };
        Content?: { Simple?: { Subject?: { Data?: string } } };
      };
      call = {
        n: calls.length + 1,
        to: parsed.Destination?.ToAddresses ?? [],
        subject: parsed.Content?.Simple?.Subject?.Data ?? "",
      };
      calls.push(call);
      decision = plan(call);
    }
    if (decision.kind === "hang") return; // the socket stays open and silent until close()
    if (decision.kind === "error") {
      res.writeHead(decision.status, {
        "content-type": "application/json",
        "x-amzn-errortype": decision.errorType,
      });
      res.end(JSON.stringify({ message: decision.message }));
      return;
    }
    const proxied = upstreamRequest(req, upstream, async (up) => {
      const upBody = await readBody(up);
      if (call && (up.statusCode ?? 500) < 300) forwarded.push(call);
      if (decision.kind === "forwardAndHold" && call) {
        const accepted = call;
        for (const w of heldWaiters.splice(0)) w(accepted);
        return; // never answer
      }
      res.writeHead(up.statusCode ?? 502, up.headers);
      res.end(upBody);
    });
    proxied.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    proxied.end(body);
  });
  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    forwarded,
    setPlan: (p) => {
      plan = p;
    },
    setTarget: (t) => {
      upstream = new URL(t);
    },
    held: () => new Promise((resolve) => heldWaiters.push(resolve)),
    close: () => closeNow(server),
  };
}
