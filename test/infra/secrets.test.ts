/**
 * The stack's secret is created once and never rewritten: CloudFormation overwrites a secret's
 * value whenever its template properties change, which would wipe what `npm run secrets -- set`
 * wrote. Adding a key to SECRET_KEYS (shared/config.ts) must not touch the resource.
 */
import { describe, expect, it, vi } from "vitest";
import { INITIAL_SECRET_VALUE } from "#infra/stack.ts";
import { SECRET_KEYS } from "#shared/config.ts";
import { buildStack, logicalIdOf } from "#test/infra/support/build-stack.ts";
import { resourceById } from "#test/infra/support/template-queries.ts";

// Each synth takes seconds, and many more on two cores shared with other test files.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

function secretResource(secretKeys?: readonly string[]) {
  const { stack, template } = buildStack(secretKeys ? { secretKeys } : {});
  return resourceById(template, logicalIdOf(stack, stack.secrets)) as unknown as Record<string, unknown>;
}

describe("the stack's secret", () => {
  it("keeps the same template value and description when a key is added", () => {
    const before = secretResource([...SECRET_KEYS]);
    const after = secretResource([...SECRET_KEYS, "NEW_PROVIDER_WEBHOOK_SECRET"]);

    expect(after).toEqual(before);
    expect(JSON.stringify(after)).not.toContain("NEW_PROVIDER_WEBHOOK_SECRET");
  });

  it("is created with a fixed literal value, no generated or computed part", () => {
    const secret = secretResource();
    const properties = secret.Properties as Record<string, unknown>;

    expect(properties.SecretString).toBe(INITIAL_SECRET_VALUE);
    expect(properties.GenerateSecretString).toBeUndefined();
  });

  it("is retained when the stack is deleted (it holds the only copy of the tokens)", () => {
    const secret = secretResource();

    expect(secret.DeletionPolicy).toBe("Retain");
    expect(secret.UpdateReplacePolicy).toBe("Retain");
  });
});
