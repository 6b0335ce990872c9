/**
 * One private redis-server per test run (never the machine's shared one), handed to test files
 * with `inject("redisUrl")`. Files keep their data apart by using random ids in their keys.
 */
import type { TestProject } from "vitest/node";
import { type PrivateRedis, startPrivateRedis } from "#infra/local/process/redis-server.ts";

let redis: PrivateRedis | undefined;

export async function setup(project: TestProject): Promise<void> {
  redis = await startPrivateRedis();
  project.provide("redisUrl", redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
