/**
 * Starts a private `redis-server`: for tests (nothing on disk, removed on stop) and for
 * `npm run dev` (its data kept in a directory, `.ferry/redis`, so keys and tasks survive a
 * restart). It listens on a random loopback port and is stopped by its own pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Where its data is kept across restarts; undefined when nothing is kept. */
  readonly dataDir?: string;
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  readonly binary?: string;
  /** Keep the data here (append-only file), across restarts; default: nothing kept. */
  readonly dataDir?: string;
  /** Listen on this port (a restart in place, for fault tests); default a free one. */
  readonly port?: number;
}

/** What a newcomer without redis-server needs to read (instead of `spawn redis-server ENOENT`). */
export const REDIS_SERVER_MISSING =
  "redis-server was not found on the PATH. Install it (Debian/Ubuntu: sudo apt-get install redis-server; " +
  "Fedora: sudo dnf install redis; macOS: brew install redis), or set REDIS_URL to a Redis you run.";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when something answers a Redis PING on host:port within the timeout. */
export async function redisAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, host, () => socket.write("PING\r\n"));
    socket.once("data", (chunk) => done(chunk.toString().startsWith("+PONG")));
  });
}

const SERVER_FILE = "server.json";

/**
 * A redis-server a runtime that died (SIGKILL, a crash) left running on this data directory:
 * shut it down (it writes its data first), so that two never write the same files.
 */
async function shutDownLeftover(dataDir: string): Promise<void> {
  let port: number;
  try {
    port = (JSON.parse(readFileSync(join(dataDir, SERVER_FILE), "utf8")) as { port: number }).port;
  } catch {
    return;
  }
  if (!(await redisAnswers("127.0.0.1", port, 300))) return;
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    // Only ours: whatever now listens on that port must be serving this very directory.
    const [, dir] = (await client.config("GET", "dir")) as [string, string];
    if (resolve(dir) !== resolve(dataDir)) return;
    await client.shutdown("SAVE").catch(() => undefined);
  } catch {
    return;
  } finally {
    client.disconnect();
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && (await redisAnswers("127.0.0.1", port, 200))) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

function lastLogLines(logFile: string): string {
  try {
    return readFileSync(logFile, "utf8").trim().split("\n").slice(-3).join("\n");
  } catch {
    return "";
  }
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const { binary = "redis-server", dataDir } = options;
  const dir = dataDir ? resolve(dataDir) : mkdtempSync(join(tmpdir(), "ferry-redis-"));
  if (dataDir) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await shutDownLeftover(dir);
  }
  const port = options.port ?? (await freePort());
  const logFile = join(dir, "redis.log");
  // Kept data: an append-only file synced every second, so a restart, even after a crash,
  // finds the keys and tasks (at most the last second lost). Otherwise nothing is written.
  const persistence = dataDir
    ? ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
    : ["--appendonly", "no", "--save", ""];
  const child: ChildProcess = spawn(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", ...persistence, "--dir", dir, "--logfile", logFile],
    // Own process group: Ctrl-C in a terminal must not kill Redis before the runtime's orderly
    // stop (which still ends it by pid).
    { stdio: "ignore", detached: true },
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "ENOENT" ? new Error(REDIS_SERVER_MISSING) : error),
    ),
  );
  const deadline = Date.now() + 10_000;
  while (!(await Promise.race([redisAnswers("127.0.0.1", port, 200), spawnError]))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill("SIGKILL");
      const log = lastLogLines(logFile);
      throw new Error(`redis-server did not start on 127.0.0.1:${port}${log ? `:\n${log}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const pid = child.pid ?? 0;
  if (dataDir) writeFileSync(join(dir, SERVER_FILE), `${JSON.stringify({ pid, port })}\n`);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    ...(dataDir ? { dataDir: dir } : {}),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        // SIGTERM: Redis flushes its append-only file before it exits.
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
      if (dataDir) rmSync(join(dir, SERVER_FILE), { force: true });
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}
