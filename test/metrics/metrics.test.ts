/**
 * Powertools metrics print one EMF JSON line per metric to standard output; CloudWatch turns
 * them into metrics. Captured here the way CloudWatch reads them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

interface Emf {
  readonly _aws: {
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

let lines: string[];
beforeEach(() => {
  lines = [];
  vi.resetModules();
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
  vi.stubEnv("POWERTOOLS_METRICS_NAMESPACE", "Ferry-test");
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const emitted = (): Emf[] =>
  lines
    .flatMap((l) => l.split("\n"))
    .filter((l) => l.startsWith('{"_aws"'))
    .map((l) => JSON.parse(l) as Emf);

describe("metrics", () => {
  it("emits a count as EMF in the stack's namespace with the service dimension", async () => {
    const { countMetric, METRIC } = await import("#shared/metrics/metrics.ts");

    countMetric(METRIC.emailsSent);

    const [emf] = emitted();
    expect(emf?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: "Ferry-test",
      Dimensions: [["service"]],
      Metrics: [{ Name: "EmailsSent", Unit: "Count" }],
    });
    expect(emf).toMatchObject({ service: "ferry", EmailsSent: 1 });
  });

  it("adds a {service, reason} dimension set beside the total when a reason is given", async () => {
    const { countMetric, METRIC } = await import("#shared/metrics/metrics.ts");

    countMetric(METRIC.webhooksRejected, { reason: "bad-signature" });

    const [emf] = emitted();
    expect(emf?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([["service"], ["service", "reason"]]);
    expect(emf).toMatchObject({ reason: "bad-signature", WebhooksRejected: 1 });
  });

  it("emits ConfigurationIncomplete when a function's configuration cannot be built", async () => {
    vi.stubEnv("UPSTASH_REDIS_REST_URL", "https://test.upstash.io");
    vi.stubEnv("UPSTASH_REDIS_REST_TOKEN", "");
    vi.stubEnv("FERRY_SECRETS_ARN", "");
    const { getDeps } = await import("#shared/deps.ts");

    await expect(getDeps({ needs: [] })).rejects.toMatchObject({ name: "ConfigError" });

    expect(emitted().map((e) => e._aws.CloudWatchMetrics[0]?.Metrics[0]?.Name)).toContain(
      "ConfigurationIncomplete",
    );
  });
});
