/**
 * Per-container dependencies of a function: its configuration, checked against its declaration
 * (shared/app/function-config.ts), and the Redis client, built once at cold start. A failed
 * build is retried by the next invocation rather than cached, as a failed Lambda init is.
 */
import { type FunctionConfig, functionConfig } from "#shared/app/function-config.ts";
import type { FunctionSpec } from "#shared/app/types.ts";
import { loadEnvironment } from "#shared/config.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";

export interface Deps<S extends Pick<FunctionSpec, "needs">> {
  readonly config: FunctionConfig<S>;
  readonly redis: RedisClient;
}

// Keyed by declaration: on Lambda a container serves one function; in a unit test several may
// share a process, and each must still be checked against its own needs.
const built = new Map<Pick<FunctionSpec, "needs">, Promise<unknown>>();

export function getDeps<S extends Pick<FunctionSpec, "needs">>(spec: S): Promise<Deps<S>> {
  let deps = built.get(spec) as Promise<Deps<S>> | undefined;
  if (!deps) {
    deps = loadEnvironment().then((env): Deps<S> => {
      const config = functionConfig(spec, env);
      return {
        config,
        redis: createRedisClient({
          url: config.UPSTASH_REDIS_REST_URL,
          token: config.UPSTASH_REDIS_REST_TOKEN,
          timeoutMs: config.REDIS_TIMEOUT_MS,
        }),
      };
    });
    deps.catch(() => built.delete(spec));
    built.set(spec, deps);
  }
  return deps;
}
