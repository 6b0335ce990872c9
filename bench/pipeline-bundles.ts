/**
 * Bundle size and module init time per function. Each manifest function is built with esbuild
 * and exactly the options its NodejsFunction uses (FERRY_BUNDLING in
 * infra/constructs/ferry-function.ts, mapped to esbuild's names as aws-lambda-nodejs does), with a
 * metafile to show what fills each bundle. Init time: the bundle imported in a fresh `node`
 * process with the function's own environment (as the local runtime gives it), the median of
 * several processes; `import()` alone, so it is the module's top level, not the first invocation.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Metafile } from "esbuild";
import { FERRY_BUNDLING, REPO_ROOT } from "#infra/constructs/ferry-function.ts";
import { manifest } from "#shared/app/manifest.ts";
import { median } from "./pipeline-harness.ts";

export interface BundleFigure {
  readonly functionName: string;
  readonly entry: string;
  readonly needs: readonly string[];
  readonly bytes: number;
  /** Output bytes by source package (or `ferry` for the project's own code), largest first. */
  readonly byPackage: readonly (readonly [string, number])[];
  /** Wall time of the import, median of fresh processes. */
  readonly initMs: number | undefined;
  /**
   * CPU (user + system, every thread: V8 compiles and collects on helper threads) the import
   * used, median: what the import costs, whoever else is using the machine.
   */
  readonly initCpuMs: number | undefined;
  readonly initError?: string;
}

function packageOf(input: string): string {
  const i = input.lastIndexOf("node_modules/");
  if (i < 0) return "ferry";
  const rest = input.slice(i + "node_modules/".length).split("/");
  return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? input);
}

function byPackage(metafile: Metafile): [string, number][] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

function initTime(file: string, env: Record<string, string>): { wallMs: number; cpuMs: number } {
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); const w = performance.now() - t; const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ wallMs: w, cpuMs: (u.user + u.system) / 1000 }));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
  return JSON.parse(out) as { wallMs: number; cpuMs: number };
}

/**
 * `environmentOf` gives a function's environment (the local runtime's); `initRuns` fresh processes
 * per bundle.
 */
export async function bundleFigures(
  environmentOf: (name: string) => Record<string, string>,
  initRuns: number,
): Promise<BundleFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), "ferry-bench-bundles-"));
  try {
    const figures: BundleFigure[] = [];
    for (const [name, spec] of Object.entries(manifest.functions)) {
      const outdir = join(dir, name);
      mkdirSync(outdir);
      const outfile = join(outdir, "index.mjs");
      const result = await build({
        entryPoints: [join(REPO_ROOT, spec.entry)],
        bundle: true,
        platform: "node",
        format: FERRY_BUNDLING.format,
        target: FERRY_BUNDLING.target,
        mainFields: [...FERRY_BUNDLING.mainFields],
        minify: FERRY_BUNDLING.minify,
        keepNames: FERRY_BUNDLING.keepNames,
        sourcemap: FERRY_BUNDLING.sourceMap,
        sourcesContent: FERRY_BUNDLING.sourcesContent,
        banner: { js: FERRY_BUNDLING.banner },
        external: [...FERRY_BUNDLING.externalModules],
        outfile,
        metafile: true,
        logLevel: "silent",
        absWorkingDir: REPO_ROOT,
      });
      // Lambda runs the .mjs as an ES module whatever package.json says; so does node here.
      writeFileSync(join(outdir, "package.json"), "{}");
      const samples: number[] = [];
      const cpuSamples: number[] = [];
      let initError: string | undefined;
      try {
        for (let i = 0; i < initRuns; i++) {
          const { wallMs, cpuMs } = initTime(outfile, environmentOf(name));
          samples.push(wallMs);
          cpuSamples.push(cpuMs);
        }
      } catch (error) {
        initError = String((error as Error).message).split("\n")[0];
      }
      figures.push({
        functionName: name,
        entry: spec.entry,
        needs: spec.needs ?? [],
        bytes: statSync(outfile).size,
        byPackage: byPackage(result.metafile),
        initMs: samples.length > 0 ? median(samples) : undefined,
        initCpuMs: cpuSamples.length > 0 ? median(cpuSamples) : undefined,
        ...(initError ? { initError } : {}),
      });
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
