/** The client against a runtime with a one-request bucket: it waits out a 429 as told, boundedly. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FerryClient, RateLimitedError } from "#client/index.ts";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { startTestRuntime } from "#test/support/runtime.ts";

let rt: LocalRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({
    // One request, then one more per second: the second request in a row is a 429 of about 1 s.
    RATE_LIMITS: JSON.stringify({ api: { capacity: 1, refillPerSecond: 1 } }),
  });
});
afterAll(() => rt?.stop());

describe("FerryClient on 429", () => {
  it("retries after Retry-After and succeeds", async () => {
    const client = new FerryClient({ baseUrl: rt.url, apiKey: rt.devApiKey, maxRetries: 3 });
    let rateLimited = 0;
    const counting = new FerryClient({
      baseUrl: rt.url,
      apiKey: rt.devApiKey,
      maxRetries: 3,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        if (res.status === 429) rateLimited++;
        return res;
      },
    });

    await client.listTasks();
    const page = await counting.listTasks();

    expect(page.items).toBeInstanceOf(Array);
    expect(rateLimited).toBeGreaterThanOrEqual(1);
  });

  it("gives up after maxRetries with a RateLimitedError that says how long to wait", async () => {
    const client = new FerryClient({ baseUrl: rt.url, apiKey: rt.devApiKey, maxRetries: 0 });

    await client.listTasks().catch(() => undefined);
    const error = await client.listTasks().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).status).toBe(429);
    expect((error as RateLimitedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });
});
