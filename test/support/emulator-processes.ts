/**
 * AWS emulators as separate processes, the way an external endpoint (FERRY_LOCAL_*_ENDPOINT) runs:
 * fauxqs, aws-ses-v2-local and the test Secrets Manager, each a child process on 127.0.0.1 and a
 * free port, reported once it serves. The caller kills each by its pid (`kill()`).
 *
 * fauxqs's own CLI listens on 0.0.0.0 (hard-coded), so its process runs the same fastify app
 * through `buildApp` and listens on loopback; aws-ses-v2-local's CLI takes `--host`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface EmulatorProcess {
  readonly url: string;
  readonly pid: number;
  /** SIGKILL by pid; resolves once the process is gone. */
  kill(): Promise<void>;
}

const FAUXQS_SCRIPT = `
import { buildApp } from "fauxqs";
const app = buildApp({ logger: false });
await app.listen({ host: "127.0.0.1", port: 0 });
console.log("listening http://127.0.0.1:" + app.server.address().port);
`;

function started(child: ChildProcess, pattern: RegExp, what: string): Promise<EmulatorProcess> {
  return new Promise((resolve, reject) => {
    let output = "";
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${what} did not start within 20 s:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (!match?.[1] || child.pid === undefined) return;
      clearTimeout(deadline);
      const pid = child.pid;
      const exited = new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) done();
        else child.once("exit", () => done());
      });
      resolve({
        url: `http://127.0.0.1:${match[1]}`,
        pid,
        kill: async () => {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
          await exited;
        },
      });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(deadline);
      reject(new Error(`${what} exited with ${code} before serving:\n${output}`));
    });
  });
}

const options = { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] as ("ignore" | "pipe")[] };

export function spawnFauxqs(): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", FAUXQS_SCRIPT], options);
  return started(child, /listening http:\/\/127\.0\.0\.1:(\d+)/, "fauxqs");
}

export function spawnSesLocal(): Promise<EmulatorProcess> {
  const cli = fileURLToPath(new URL("../../node_modules/aws-ses-v2-local/dist/cli.js", import.meta.url));
  const child = spawn(process.execPath, [cli, "--host", "127.0.0.1", "--port", "0"], options);
  // It prints `server running at http://localhost:<port>` for a loopback address.
  return started(child, /server running at http:\/\/[^:]+:(\d+)/, "aws-ses-v2-local");
}

export function spawnSecretsManager(): Promise<EmulatorProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "test/support/secrets-manager-process.ts"],
    options,
  );
  return started(child, /listening http:\/\/127\.0\.0\.1:(\d+)/, "the Secrets Manager emulator");
}
