/**
 * Function code validates with zod/mini: one import of classic zod anywhere under shared/ or
 * functions/ puts its ~105 KB back into the bundles that reach it (and its schema building back
 * into their cold start), and a classic schema mixed into a mini one does not work.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const sources = (dir: string) =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => join(dir, file));

/** `zod`, `zod/v4` or `zod/v4/classic` (whatever is imported from them), not `zod/mini` or a locale. */
const CLASSIC = /from\s+["']zod(\/v4(\/classic)?)?["']/;

describe("function code and zod", () => {
  it("imports zod/mini, never classic zod", () => {
    const classic = [...sources("shared"), ...sources("functions")].filter((file) =>
      CLASSIC.test(readFileSync(file, "utf8")),
    );
    expect(classic).toEqual([]);
  });
});
