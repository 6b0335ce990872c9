/**
 * The local runtime's directory (`.ferry/` in the checkout; FERRY_LOCAL_DIR moves it):
 *   local.json  where a running runtime says how to reach it, so CLIs run from another terminal
 *               (`npm run keys`, `npm run dlq`, `npx ferry`) can use its Upstash proxy, SQS
 *               emulator, dev key and webhook secrets. It holds secrets, so it is written
 *               owner-only; it is removed when the runtime stops, and a file left by a
 *               runtime that died (its pid is gone) reads as absent.
 *   dev.lock    held by the one runtime using the directory: a second one refuses to start
 *               (both would write the same state file and the same Redis data).
 *   redis/      the private redis-server's data, kept across restarts.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { QUEUE_NAMES } from "#shared/app/manifest.ts";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** `.ferry/` in the checkout, or FERRY_LOCAL_DIR (a second runtime, say: CLIs take the same). */
export function defaultLocalDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.FERRY_LOCAL_DIR || join(REPO_ROOT, ".ferry");
}

/** Default location; `FERRY_LOCAL_STATE` overrides the file alone (tests use a temporary one). */
export function defaultLocalStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.FERRY_LOCAL_STATE || join(defaultLocalDirectory(env), "local.json");
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
  redis: z.object({ url: z.string(), source: z.enum(["configured", "private"]) }),
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

export function processAlive(pid: number): boolean {
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

const lockSchema = z.object({ pid: z.number().int(), startedAt: z.string() });

/** Thrown when another live runtime holds the directory. */
export class LocalDirectoryBusyError extends Error {
  override readonly name = "LocalDirectoryBusyError";
}

/**
 * Takes `<dir>/dev.lock` for this process, or throws LocalDirectoryBusyError naming the runtime
 * that holds it. A lock left by a runtime that died is taken over. Returns its release.
 */
export function acquireLocalDirectory(dir: string, statePath = join(dir, "local.json")): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, "dev.lock");
  const mine = JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() });
  for (let attempt = 0; attempt < 3; attempt++) {
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, mine, { mode: 0o600 });
    try {
      // A hard link is created whole or not at all, and fails if the lock exists: of two
      // runtimes starting at once exactly one gets it, and no reader sees half a lock.
      linkSync(temporary, path);
      rmSync(temporary, { force: true });
      return () => {
        try {
          if (readFileSync(path, "utf8") === mine) rmSync(path, { force: true });
        } catch {
          // Already gone.
        }
      };
    } catch (error) {
      rmSync(temporary, { force: true });
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let holder: z.infer<typeof lockSchema> | undefined;
    try {
      holder = lockSchema.parse(JSON.parse(readFileSync(path, "utf8")));
    } catch {
      holder = undefined;
    }
    if (holder && processAlive(holder.pid)) {
      let where = "";
      try {
        const state = readRaw(statePath);
        if (state?.pid === holder.pid) where = ` at ${state.url}`;
      } catch {
        // No readable state file: the pid is enough to name it.
      }
      throw new LocalDirectoryBusyError(
        `Another Ferry local runtime (pid ${holder.pid}${where}) is already using ${dir}. ` +
          "Stop it first, or give this one its own directory: FERRY_LOCAL_DIR=.ferry-2 PORT=3001 npm run dev " +
          "(and the same FERRY_LOCAL_DIR for npm run keys and npm run dlq to reach it).",
      );
    }
    // Left by a runtime that died: take it over.
    rmSync(path, { force: true });
  }
  throw new LocalDirectoryBusyError(`Could not take ${path}: another runtime keeps taking it.`);
}
