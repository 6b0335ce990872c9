/**
 * The realtime test files' shared setup: one harness per file and a key with every realtime
 * scope, exported as live bindings so each file reads them as `h` and `key` once its tests run
 * (vitest gives each file its own module instances).
 */
import { forFile } from "#test/support/for-file.ts";
import { newKey, type RealtimeHarness, startHarness, type TestKey } from "./runtime.ts";

export let h: RealtimeHarness;
export let key: TestKey;

/** Call once at the top of a test file. */
export function useRealtimeHarness(): void {
  forFile(startHarness, async (started) => {
    h = started;
    key = await newKey(h.redis);
  });
}
