/**
 * `npm run bench`: runs every benchmark (or those named on the command line, e.g.
 * `npm run bench -- ratelimit`) and writes BENCHMARKS.md: the machine, then one section per
 * benchmark. To add a benchmark, write `bench/<name>.ts` exporting an async function that returns
 * a BenchSection and list it in BENCHES.
 */
import "#infra/scripts/cli-environment.ts";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";
import { runRateLimitBench } from "./ratelimit.ts";

export interface BenchSection {
  readonly title: string;
  /** Markdown, starting with its own `##` heading. */
  readonly markdown: string;
}

const BENCHES: Readonly<Record<string, () => Promise<BenchSection>>> = {
  ratelimit: runRateLimitBench,
};

function redisServerVersion(): string {
  try {
    return (
      /v=(\S+)/.exec(execFileSync("redis-server", ["--version"], { encoding: "utf8" }))?.[1] ?? "unknown"
    );
  } catch {
    return "not found";
  }
}

function machine(): string {
  return [
    `- Date: ${new Date().toISOString()}`,
    `- CPU: ${cpus()[0]?.model ?? "unknown"}, nproc ${availableParallelism()}`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version} (${process.platform} ${process.arch})`,
    `- redis-server ${redisServerVersion()}`,
  ].join("\n");
}

const USAGE = `Usage: npm run bench [-- <name>...]

Runs every benchmark, or those named (${Object.keys(BENCHES).join(", ")}), on this machine and
writes BENCHMARKS.md. Needs redis-server on the PATH; takes a few minutes.`;

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  if (wanted.includes("--help") || wanted.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const unknown = wanted.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(BENCHES).join(", ")}\n\n${USAGE}`,
    );
  }
  const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
  const sections: BenchSection[] = [];
  for (const name of names) {
    const started = performance.now();
    console.error(`bench ${name}…`);
    const bench = BENCHES[name];
    if (bench) sections.push(await bench());
    console.error(`bench ${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const document = `# Benchmarks

Written by \`npm run bench\` (bench/main.ts). Numbers are from one run on the machine below; compare rows within
a run, not across machines.

## Machine

${machine()}

${sections.map((s) => s.markdown.trim()).join("\n\n")}
`;
  writeFileSync(new URL("../BENCHMARKS.md", import.meta.url), document);
  console.error("wrote BENCHMARKS.md");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
