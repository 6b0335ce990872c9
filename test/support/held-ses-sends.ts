/**
 * SendEmail calls held at a runtime's local AWS edge until `letThrough()`: a test that must
 * subscribe before the worker reaches SES (the queue has no batching window) holds them, so
 * every change after its subscription is a push it sees. `release()` removes the hold.
 */
import type { LocalRuntime } from "#infra/local/runtime.ts";

export interface HeldSesSends {
  letThrough(): void;
  release(): void;
}

export function holdSesSends(rt: Pick<LocalRuntime, "aws">): HeldSesSends {
  let letThrough: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    letThrough = resolve;
  });
  const release = rt.aws.ses.use(async (c) => {
    if (c.action === "SendEmail") await opened;
    return undefined;
  });
  return { letThrough, release };
}
