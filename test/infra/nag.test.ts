/**
 * cdk-nag's AwsSolutions checks, registered the way infra/bin/app.ts registers them: synth fails on
 * any finding (error or warning) that infra/nag-acknowledgements.ts does not acknowledge.
 */
import { Stack, Validations } from "aws-cdk-lib";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it, vi } from "vitest";
import type { FerryStackProps } from "#infra/stack.ts";
import { type AppManifest, manifest as realManifest } from "#shared/app/manifest.ts";
import { buildStack, testApp } from "#test/infra/support/build-stack.ts";

// Each synth takes seconds, and many more on two cores shared with other test files.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const cases: readonly { label: string; props: Partial<FerryStackProps> & { manifest: AppManifest } }[] = [
  { label: "real manifest", props: { manifest: realManifest } },
  {
    label: "real manifest with WebSocket access logs",
    props: { manifest: realManifest, webSocketAccessLogs: true },
  },
];

/** Every finding nag reports for `app`, as "rule at construct path" lines (empty when clean). */
function unacknowledgedFindings(app: ReturnType<typeof testApp>): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}`),
  );
}

// Synthesizing and checking the whole stack takes seconds of CPU; a loaded machine needs more than the default.
describe.each(cases)(
  "cdk-nag AwsSolutions on the stack from the $label",
  { timeout: 90_000 },
  ({ props }) => {
    it("reports no unacknowledged finding, error or warning", () => {
      // Prepare / Act
      const { app } = buildStack(props);

      // Assess
      expect(unacknowledgedFindings(app)).toEqual([]);
    });

    it("lets the app synthesize with the checks registered as a validation plugin", () => {
      // Prepare
      const app = testApp();
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

      // Act / Assess
      expect(() => buildStack(props, app)).not.toThrow();
    });
  },
);

describe("cdk-nag harness", () => {
  it("does report a finding nobody acknowledged (so a clean report means something)", () => {
    // Prepare: a secret without rotation and without an acknowledgement.
    const app = testApp();
    new Secret(new Stack(app, "Bare"), "Secret");
    app.synth();

    // Act
    const findings = unacknowledgedFindings(app);

    // Assess
    expect(findings).toContain("error AwsSolutions-SMG4 at Bare/Secret/Resource");
  });

  it("fails synthesis on that finding when registered as a validation plugin", () => {
    // Prepare
    const app = testApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    new Secret(new Stack(app, "Bare"), "Secret");

    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-SMG4/);
  });
});
