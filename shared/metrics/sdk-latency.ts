/**
 * Times every call of an AWS SDK client (answered or not) as a metric, through the client's own
 * middleware stack: added once per client, however often the container's client is asked for.
 */
import { type MetricName, millisecondsMetric } from "./metrics.ts";

interface WithMiddleware {
  readonly middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: { step: "initialize"; name: string },
    ): void;
  };
}

const measured = new WeakSet<object>();

export function measureLatency<C extends object>(client: C, metric: MetricName): C {
  if (measured.has(client)) return client;
  measured.add(client);
  (client as unknown as WithMiddleware).middlewareStack.add(
    (next) => async (args) => {
      const startedAt = performance.now();
      try {
        return await next(args);
      } finally {
        millisecondsMetric(metric, performance.now() - startedAt);
      }
    },
    { step: "initialize", name: `ferryLatency${metric}` },
  );
  return client;
}
