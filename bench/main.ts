/**
 * `npm run bench`: runs every benchmark (or those named on the command line, e.g.
 * `npm run bench -- ratelimit`) and writes BENCHMARKS.md: the machine, then one section per
 * benchmark. To add a benchmark, write `bench/<name>.ts` exporting an async function that returns
 * a BenchSection and list it in BENCHES.
 *   --quick       small counts, for CI: the benchmark runs and writes its figures (not timings);
 *                 benchmarks without a quick mode are skipped unless named
 *   --out FILE    write there instead of BENCHMARKS.md (a quick run defaults to .ferry/bench-quick.md,
 *                 so it never overwrites the committed figures)
 */
import "#infra/scripts/cli-environment.ts";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runPipelineBench } from "./pipeline.ts";
import { runRateLimitBench } from "./ratelimit.ts";

export interface BenchSection {
  readonly title: string;
  /** Markdown, starting with its own `##` heading. */
  readonly markdown: string;
}

export interface BenchOptions {
  readonly quick: boolean;
}

interface Bench {
  readonly run: (options: BenchOptions) => Promise<BenchSection>;
  /** Whether `--quick` shrinks it; one without is skipped by a quick run unless named. */
  readonly quick: boolean;
}

const BENCHES: Readonly<Record<string, Bench>> = {
  ratelimit: { run: () => runRateLimitBench(), quick: false },
  pipeline: { run: runPipelineBench, quick: true },
};

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function parseArgs(argv: readonly string[]): { names: string[]; quick: boolean; out: string | undefined } {
  const names: string[] = [];
  let quick = false;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--quick") quick = true;
    else if (arg === "--out") {
      out = argv[++i];
      if (!out) throw new Error("--out needs a file name");
    } else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`);
    else names.push(arg);
  }
  return { names, quick, out };
}

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
    // Other users' load stretches every wall-clock figure; the ratios and CPU figures less so.
    `- Load average at the end (1 / 5 / 15 min): ${loadavg()
      .map((n) => n.toFixed(1))
      .join(" / ")}`,
    `- Node ${process.version} (${process.platform} ${process.arch})`,
    `- redis-server ${redisServerVersion()}`,
  ].join("\n");
}

const USAGE = `Usage: npm run bench [-- <name>...]

Runs every benchmark, or those named (${Object.keys(BENCHES).join(", ")}), on this machine and
writes BENCHMARKS.md. Needs redis-server on the PATH; takes a few minutes.
  --quick      a short run of the benchmarks that have one (written to .ferry/bench-quick.md)
  --out FILE   write the report there instead`;

async function main(): Promise<void> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const { names: wanted, quick, out } = parseArgs(process.argv.slice(2));
  const unknown = wanted.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(BENCHES).join(", ")}\n\n${USAGE}`,
    );
  }
  const names =
    wanted.length > 0 ? wanted : Object.keys(BENCHES).filter((name) => !quick || BENCHES[name]?.quick);
  const target = resolve(
    out ?? (quick ? join(REPO_ROOT, ".ferry", "bench-quick.md") : join(REPO_ROOT, "BENCHMARKS.md")),
  );
  const sections: BenchSection[] = [];
  for (const name of names) {
    const started = performance.now();
    console.error(`bench ${name}${quick ? " (quick)" : ""}…`);
    const bench = BENCHES[name];
    if (bench) sections.push(await bench.run({ quick }));
    console.error(`bench ${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const document = `# Benchmarks

Written by \`npm run bench\` (bench/main.ts). Numbers are from one run on the machine below; compare rows within
a run, not across machines.

## Machine

${machine()}

${sections.map((s) => s.markdown.trim()).join("\n\n")}
`;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, document);
  console.error(`wrote ${target}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
