/** Which Redis the local runtime uses, and how to stop it if the runtime started it. */
import type { PrivateRedis } from "./redis-server.ts";

export type RedisSource = "configured" | "machine" | "private";

export interface ChosenRedis {
  readonly url: string;
  readonly source: RedisSource;
  readonly pid?: number;
  stop(): Promise<void>;
}

export interface RedisChoice {
  readonly configuredUrl?: string | undefined;
  readonly machineUrl: string;
  readonly machineAnswers: () => Promise<boolean>;
  readonly startPrivate: () => Promise<PrivateRedis>;
}

/** REDIS_URL if given, else the machine's Redis if it answers, else a private redis-server. */
export async function chooseRedis(choice: RedisChoice): Promise<ChosenRedis> {
  const nothingToStop = async () => undefined;
  if (choice.configuredUrl) return { url: choice.configuredUrl, source: "configured", stop: nothingToStop };
  if (await choice.machineAnswers())
    return { url: choice.machineUrl, source: "machine", stop: nothingToStop };
  const started = await choice.startPrivate();
  return { url: started.url, source: "private", pid: started.pid, stop: () => started.stop() };
}
