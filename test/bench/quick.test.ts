/**
 * `npm run bench -- --quick` (what a user or CI runs to check the benchmark still works) runs to
 * the end and writes every pipeline figure. Its numbers are not judged here: on a shared machine
 * timings say nothing; BENCHMARKS.md holds a full run's. Run by `npm run test:bench` (CI runs it
 * after `npm test`), not by `npm test`: it loads both cores for a minute, which would starve the
 * suite's own runtimes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "ferry-bench-quick-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runQuickBench(out: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "bench", "--", "--quick", "--out", out], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("exit", (code) => resolve({ code, stderr }));
  });
}

const NUMBER = String.raw`\d+(\.\d+)?`;

describe("npm run bench -- --quick", () => {
  it("completes and writes every pipeline figure with a number", async () => {
    const out = join(dir, "bench.md");

    const { code, stderr } = await runQuickBench(out);

    expect(code, stderr.slice(-2000)).toBe(0);
    const markdown = readFileSync(out, "utf8");
    expect(markdown).toContain("**Quick run**");
    const rows: [string, RegExp][] = [
      ["submit, 1 subscriber", new RegExp(`1 subscriber, p50 / p99 \\| ${NUMBER} / ${NUMBER} ms`)],
      ["200 subscribers", new RegExp(`last of 200 subscribers, p50 / p99 \\| ${NUMBER} / ${NUMBER} ms`)],
      ["fan-out", new RegExp(`fan-out .* \\| ${NUMBER} / ${NUMBER} ms`)],
      ["ingest c1", new RegExp(`concurrency 1: .* \\| ${NUMBER} \\(.*\\), \\d+ refused \\| ${NUMBER} \\(`)],
      ["ingest c16", new RegExp(`concurrency 16: .* \\| ${NUMBER} \\(.*\\), \\d+ refused \\| ${NUMBER} \\(`)],
      ["end to end", new RegExp(`end to end, emails/s .* \\| ${NUMBER} \\| ${NUMBER} = `)],
      [
        "webhook ack",
        new RegExp(`webhook acknowledgement .* \\| ${NUMBER} / ${NUMBER} ms \\| one SendMessage`),
      ],
      ["round trips per POST", /per POST \/v1\/emails \(commands\) \| [1-9](\.\d+)? \(/],
      ["round trips per email", /per email in the worker \(commands\) \| [1-9](\.\d+)? \(/],
      ["connections", new RegExp(`WebSocket connections, push p50 / p99 .* \\| ${NUMBER} / ${NUMBER} ms`)],
      ["memory", new RegExp(`gateway process memory .* \\| -?${NUMBER} / -?${NUMBER} MiB`)],
    ];
    for (const [what, row] of rows) expect(markdown, what).toMatch(row);
    // One bundle row per manifest function, each with a size and an init time that was measured.
    const { manifest } = await import("#shared/app/manifest.ts");
    for (const name of Object.keys(manifest.functions)) {
      expect(markdown, name).toMatch(
        new RegExp(`\\| ${name} \\| .* \\| ${NUMBER}( \\(\\+\\d+\\))? \\| \\d+ \\| ${NUMBER} \\|`),
      );
    }
  }, 300_000);
});
