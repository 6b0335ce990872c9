/**
 * What `npm run deploy` / `destroy` hand to the cdk CLI, and how they run it. The runner is
 * injectable: tests (no AWS here) assert on the command a deploy would run instead of running it.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface Command {
  readonly command: string;
  readonly args: readonly string[];
}

/** Runs a command with the terminal attached (cdk asks before broadening IAM); resolves to its exit code. */
export type CommandRunner = (command: Command) => Promise<number>;

export const runAttached: CommandRunner = ({ command, args }) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: "inherit", cwd: REPO_ROOT });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

/** The project's own cdk CLI (pinned in package.json), not whatever `cdk` is on the PATH. */
export const CDK_BIN = join(REPO_ROOT, "node_modules", ".bin", "cdk");

/** `-c key=value` pairs as cdk takes them. */
export function contextArgs(context: Readonly<Record<string, string>>): string[] {
  return Object.entries(context).flatMap(([key, value]) => ["-c", `${key}=${value}`]);
}

/** cdk.json's context: the settings a deploy uses unless `-c` overrides them. */
export function cdkJsonContext(root = REPO_ROOT): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(root, "cdk.json"), "utf8")) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** Splits `-c k=v` / `--context k=v` / `-c=k=v` out of argv; the rest is returned as is. */
export function splitContextArgs(argv: readonly string[]): {
  context: Record<string, string>;
  rest: string[];
} {
  const context: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    let pair: string | undefined;
    if (arg === "-c" || arg === "--context") pair = argv[++i];
    else if (arg.startsWith("-c=") || arg.startsWith("--context=")) pair = arg.slice(arg.indexOf("=") + 1);
    else {
      rest.push(arg);
      continue;
    }
    const eq = pair?.indexOf("=") ?? -1;
    if (!pair || eq < 1) throw new Error(`${arg} needs key=value, got "${pair ?? ""}"`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { context, rest };
}
