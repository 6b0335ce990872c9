/**
 * `.ferry/local.json`: where a running local runtime says how to reach it, so CLIs run from
 * another terminal (`npm run keys`, `npm run dlq`, `npx ferry`) can use its Upstash proxy, SQS
 * emulator, dev key and webhook secrets. It holds secrets, so it is written owner-only; it is removed when the runtime stops,
 * and a file left by a runtime that died (its pid is gone) reads as absent.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { QUEUE_NAMES } from "#shared/app/manifest.ts";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Default location; `FERRY_LOCAL_STATE` overrides it (tests use a temporary file). */
export function defaultLocalStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.FERRY_LOCAL_STATE || join(REPO_ROOT, ".ferry", "local.json");
}

const queueUrls = z.object({
  url: z.string(),
  dlqUrl: z.string(),
  arn: z.string(),
  dlqArn: z.string(),
  name: z.string(),
});

const localStateSchema = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  url: z.string(),
  wsUrl: z.string(),
  callbackUrl: z.string(),
  outboxUrl: z.string(),
  upstash: z.object({ url: z.string(), token: z.string() }),
  sqs: z.object({
    endpoint: z.string(),
    region: z.string(),
    queueUrls: z.partialRecord(z.enum(QUEUE_NAMES), queueUrls),
  }),
  ses: z.object({ endpoint: z.string() }),
  redis: z.object({ url: z.string(), source: z.enum(["configured", "machine", "private"]) }),
  /** For `npx ferry`: the dev key and the webhook secrets the handlers verify with. */
  devApiKey: z.string().optional(),
  webhookSecrets: z
    .object({
      stripe: z.string(),
      razorpay: z.string(),
      payuMerchantKey: z.string(),
      payuMerchantSalt: z.string(),
    })
    .optional(),
});

export type LocalState = z.infer<typeof localStateSchema>;

export function writeLocalState(state: LocalState, path = defaultLocalStatePath()): void {
  mkdirSync(dirname(path), { recursive: true });
  // Write then rename: a reader never sees half a file.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readRaw(path: string): LocalState | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = localStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`${path} is not a Ferry local runtime state file: ${parsed.error.message}`);
  return parsed.data;
}

/** The running local runtime's state, or undefined when none is running. */
export function readLocalState(path = defaultLocalStatePath()): LocalState | undefined {
  const state = readRaw(path);
  return state && processAlive(state.pid) ? state : undefined;
}

/** Removes the file if it still belongs to `pid` (another runtime may have replaced it since). */
export function removeLocalState(path = defaultLocalStatePath(), pid = process.pid): void {
  let state: LocalState | undefined;
  try {
    state = readRaw(path);
  } catch {
    return;
  }
  if (state?.pid === pid) rmSync(path, { force: true });
}
