/**
 * One resource for a whole test file: started before its first test, stopped after its last.
 * Every e2e file needs this; one helper keeps the setup in one place.
 */
import { afterAll, beforeAll } from "vitest";

type Stoppable = { stop(): Promise<unknown> } | { close(): Promise<unknown> };

const stopOf = (value: Stoppable): Promise<unknown> => ("stop" in value ? value.stop() : value.close());

/** Starts `start()` before the file's tests, hands the result to `use`, and stops it afterwards. */
export function forFile<T extends Stoppable>(start: () => Promise<T>, use: (value: T) => unknown): void {
  let value: T | undefined;
  beforeAll(async () => {
    value = await start();
    await use(value);
  });
  afterAll(async () => {
    if (value) await stopOf(value);
  });
}
