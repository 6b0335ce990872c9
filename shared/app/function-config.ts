/**
 * The cold-start configuration check: a function's configuration must parse, and every variable
 * its needs set (shared/app/needs.ts) must be present, or the function refuses to start with one
 * error naming every problem. The check reads the same table the stack and the local runtime
 * write the variables from, so a function that would fail on AWS for lack of a variable fails
 * the same way locally and in tests. The result is typed: a need's variables are non-optional.
 */
import * as z from "zod/mini";
import "#shared/zod/messages.ts";
import { type Config, ConfigError, configProblems, configSchema, parseConfigValues } from "#shared/config.ts";
import { type EnvOfNeeds, type EnvSource, isOptionalSource, NEEDS } from "./needs.ts";
import type { FunctionSpec } from "./types.ts";

/** Config with the variables `S`'s needs set made non-optional. */
export type FunctionConfig<S extends Pick<FunctionSpec, "needs">> = Config & {
  readonly [K in EnvOfNeeds<S["needs"][number]> & keyof Config]-?: NonNullable<Config[K]>;
};

/** Every variable the function needs, each with why (for the error message). */
export function requiredVariables(spec: Pick<FunctionSpec, "needs">): Map<string, string> {
  const required = new Map<string, string>();
  for (const need of spec.needs) {
    for (const [variable, source] of Object.entries<EnvSource>(NEEDS[need].env)) {
      if (isOptionalSource(source) || required.has(variable)) continue;
      required.set(variable, `${need}: the function ${NEEDS[need].description}`);
    }
  }
  return required;
}

function check(spec: Pick<FunctionSpec, "needs">, env: Record<string, string | undefined>) {
  const values = parseConfigValues(env);
  const problems = configProblems(values);
  for (const [variable, why] of requiredVariables(spec)) {
    if (values.cleaned[variable] === undefined) problems.push(`${variable}: is required (${why})`);
  }
  return { values, problems };
}

/** Parses `env` for the function described by `spec`; throws a ConfigError naming every problem. */
export function functionConfig<S extends Pick<FunctionSpec, "needs">>(
  spec: S,
  env: Record<string, string | undefined>,
): FunctionConfig<S> {
  const { values, problems } = check(spec, env);
  if (problems.length > 0 || !values.config) {
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  return values.config as FunctionConfig<S>;
}

/**
 * The cold-start check of every function at once, before any of them is called (the local
 * runtime runs it at start): one line per distinct problem, naming the functions it concerns
 * unless it concerns them all (a bad shared setting would otherwise be repeated per function).
 */
export function functionsConfigProblems(
  functions: Readonly<Record<string, { readonly needs?: FunctionSpec["needs"] | undefined }>>,
  environmentOf: (name: string) => Record<string, string | undefined>,
): string[] {
  const concerned = new Map<string, string[]>();
  const names = Object.keys(functions);
  for (const name of names) {
    for (const problem of check({ needs: functions[name]?.needs ?? [] }, environmentOf(name)).problems) {
      concerned.set(problem, [...(concerned.get(problem) ?? []), name]);
    }
  }
  return [...concerned].map(([problem, who]) =>
    who.length === names.length ? problem : `${problem} [${who.join(", ")}]`,
  );
}

/**
 * Settings as a deployment gives them (some, not all, variables): each one given must pass the
 * same schema the cold-start check applies, so `cdk synth` refuses what every function would.
 */
export function settingsProblems(settings: Readonly<Record<string, string | undefined>>): string[] {
  const result = z.partial(configSchema).safeParse(settings);
  return result.success
    ? []
    : result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
}
