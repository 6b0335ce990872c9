/**
 * Per-container dependencies of a function: its configuration, checked against its declaration
 * (shared/app/function-config.ts), and the Redis client. Built at cold start and again only when
 * the environment changes (a rotated secret, re-read after its TTL by shared/config.ts), so a new
 * Upstash token reaches warm containers. A failed build is retried by the next invocation rather
 * than cached, as a failed Lambda init is, and is counted (ConfigurationIncomplete, alarmed on)
 * and logged naming every problem: the caller gets a 503, never the reasons.
 */
import { type FunctionConfig, functionConfig } from "#shared/app/function-config.ts";
import type { FunctionSpec } from "#shared/app/types.ts";
import { ConfigError, loadEnvironment } from "#shared/config.ts";
import { logger } from "#shared/logger.ts";
import { countMetric, METRIC } from "#shared/metrics/metrics.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";

export interface Deps<S extends Pick<FunctionSpec, "needs">> {
  readonly config: FunctionConfig<S>;
  readonly redis: RedisClient;
}

interface Built {
  readonly env: Record<string, string | undefined>;
  readonly deps: unknown;
}

// Keyed by declaration: on Lambda a container serves one function; in a unit test several may
// share a process, and each must still be checked against its own needs.
const built = new Map<Pick<FunctionSpec, "needs">, Built>();

function build<S extends Pick<FunctionSpec, "needs">>(
  spec: S,
  env: Record<string, string | undefined>,
): Deps<S> {
  try {
    const config = functionConfig(spec, env);
    return {
      config,
      redis: createRedisClient({
        url: config.UPSTASH_REDIS_REST_URL,
        token: config.UPSTASH_REDIS_REST_TOKEN,
        timeoutMs: config.REDIS_TIMEOUT_MS,
      }),
    };
  } catch (error) {
    if (error instanceof ConfigError) {
      countMetric(METRIC.configurationIncomplete);
      // The message names variables, never their values.
      logger.error("configuration incomplete: fill the stack's secret (npm run secrets -- check)", {
        errorCode: "configuration_incomplete",
        problems: error.message,
      });
    }
    throw error;
  }
}

export async function getDeps<S extends Pick<FunctionSpec, "needs">>(spec: S): Promise<Deps<S>> {
  const env = await loadEnvironment();
  const cached = built.get(spec);
  if (cached?.env === env) return cached.deps as Deps<S>;
  const deps = build(spec, env);
  built.set(spec, { env, deps });
  return deps;
}
