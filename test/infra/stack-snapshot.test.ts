/**
 * One snapshot of the whole template, built from the real manifest with bundling skipped. Asset hashes change with any source edit, so they are
 * normalized away: the snapshot reviews infrastructure changes, not code changes.
 */
import { describe, expect, it, vi } from "vitest";
import { buildStack } from "#test/infra/support/build-stack.ts";

// Each synth takes seconds, and many more on two cores shared with other test files.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

/** Replaces asset hashes (64 hex digits, in S3 keys and elsewhere) with a placeholder. */
function normalized(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, "[ASSET-HASH]"));
}

describe("FerryStack template", () => {
  it("matches the reviewed snapshot", () => {
    // Prepare / Act
    const { template } = buildStack();

    // Assess
    expect(normalized(template.toJSON())).toMatchSnapshot();
  });
});
