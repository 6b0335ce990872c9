/**
 * A Lua script run by its SHA: the client's Script (client.ts) sends EVALSHA and falls back to EVAL only
 * on NOSCRIPT (which ran nothing, so the fallback is never a replay). One Script per client,
 * kept in a WeakMap, so the script body crosses the network once per container, not per call.
 */
import type { RedisClient } from "./client.ts";

type ScriptRunner = Pick<RedisClient, "createScript">;
type Script = ReturnType<RedisClient["createScript"]>;

export interface DefinedScript {
  (redis: ScriptRunner, keys: string[], args: string[]): Promise<unknown>;
  readonly source: string;
}

export function defineScript(source: string): DefinedScript {
  const perClient = new WeakMap<ScriptRunner, Script>();
  const run = (redis: ScriptRunner, keys: string[], args: string[]) => {
    let script = perClient.get(redis);
    if (!script) {
      script = redis.createScript(source);
      perClient.set(redis, script);
    }
    return script.exec(keys, args) as Promise<unknown>;
  };
  return Object.assign(run, { source });
}
