/**
 * The app manifest with every function's entry pointed at its esbuild bundle in a synthesized
 * cloud assembly (`npm run synth` → cdk.out/asset.<hash>/index.mjs), so the local runtime runs
 * exactly the code a deployment ships. Each function is found through the template: its logical
 * ID starts with the construct ID the stack gives it, its Code.S3Key names its asset.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { LocalManifest } from "#infra/local/runtime.ts";
import { manifest } from "#shared/app/manifest.ts";

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: { readonly Code?: { readonly S3Key?: string } };
}

/** `create-email` / `emailWorker` → `CreateEmail` / `EmailWorker`, as infra/stack.ts names constructs. */
const pascalCase = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join("");

export function bundledManifest(cdkOut: string, stackName = "Ferry"): LocalManifest {
  const dir = resolve(cdkOut);
  const templateFile = join(dir, `${stackName}.template.json`);
  if (!existsSync(templateFile)) throw new Error(`${templateFile} not found: run \`npm run synth\` first`);
  const resources = (
    JSON.parse(readFileSync(templateFile, "utf8")) as { Resources: Record<string, TemplateResource> }
  ).Resources;
  const functions = Object.fromEntries(
    Object.entries(manifest.functions).map(([name, spec]) => {
      const prefix = `${pascalCase(name)}Function`;
      const found = Object.entries(resources).filter(
        ([id, r]) =>
          r.Type === "AWS::Lambda::Function" &&
          id.startsWith(prefix) &&
          /^[0-9A-F]{8}$/.test(id.slice(prefix.length)),
      );
      const key = found[0]?.[1].Properties?.Code?.S3Key;
      if (found.length !== 1 || !key)
        throw new Error(`no single bundled function for "${name}" in ${templateFile}`);
      const entry = join(dir, `asset.${key.replace(/\.zip$/, "")}`, "index.mjs");
      if (!existsSync(entry)) throw new Error(`${entry} not found: was the stack synthesized with bundling?`);
      return [name, { ...spec, entry }];
    }),
  );
  return { ...manifest, functions };
}
