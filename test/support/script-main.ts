/**
 * An operator script's main(argv) run in-process against a private Redis, with what it printed
 * captured: the script reads UPSTASH_REDIS_REST_URL/TOKEN as `npm run <script>` would, and the
 * test checks the same Redis through `redis`.
 */
import { afterAll, beforeAll, vi } from "vitest";
import type { RedisClient } from "#shared/redis/client.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";

export interface MainRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface ScriptMain {
  /** The Redis the script writes to; only valid inside tests (after beforeAll). */
  readonly redis: RedisClient;
  run(...argv: string[]): Promise<MainRun>;
}

/** Registers beforeAll/afterAll for the file: call once at module level. */
export function useScriptMain(main: (argv: string[]) => Promise<number>): ScriptMain {
  let t: TestRedis | undefined;
  beforeAll(async () => {
    t = await startTestRedis();
    vi.stubEnv("UPSTASH_REDIS_REST_URL", t.url);
    vi.stubEnv("UPSTASH_REDIS_REST_TOKEN", t.token);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await t?.close();
  });
  return {
    get redis(): RedisClient {
      if (!t) throw new Error("useScriptMain: redis is only there once beforeAll has run");
      return t.redis;
    },
    run: (...argv) => captureMain(main, argv),
  };
}

async function captureMain(main: (argv: string[]) => Promise<number>, argv: string[]): Promise<MainRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  const error = vi
    .spyOn(console, "error")
    .mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  try {
    return { code: await main(argv), out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
