/**
 * The Node version the README states is the one `npm ci` accepts without an engine warning:
 * package.json's `engines` says the same, and every locked package accepts its oldest release.
 */
import { readFileSync } from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");

describe("the supported Node version", () => {
  const readme = /Needs Node (\d+\.\d+)\+/.exec(read("README.md"))?.[1];
  const pkg = JSON.parse(read("package.json")) as { engines: { node: string } };
  const lock = JSON.parse(read("package-lock.json")) as {
    packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
  };

  it("is the same in the README and in package.json's engines", () => {
    expect(readme).toBeDefined();
    expect(semver.minVersion(pkg.engines.node)?.version).toBe(`${readme}.0`);
  });

  it("is accepted by every locked package, so npm ci prints no engine warning", () => {
    const oldest = `${readme}.0`;
    const refusing = Object.entries(lock.packages).flatMap(([path, entry]) => {
      const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
      return range && !semver.satisfies(oldest, range) ? [`${path} (node ${range})`] : [];
    });

    expect(refusing).toEqual([]);
  });
});
