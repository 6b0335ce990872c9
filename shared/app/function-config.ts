/**
 * The cold-start configuration check: a function's configuration must parse, and every variable
 * its needs set (shared/app/needs.ts) must be present, or the function refuses to start with one
 * error naming every problem. The check reads the same table the stack and the local runtime
 * write the variables from, so a function that would fail on AWS for lack of a variable fails
 * the same way locally and in tests. The result is typed: a need's variables are non-optional.
 */
import { type Config, ConfigError, configProblems, parseConfigValues } from "#shared/config.ts";
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

/** Parses `env` for the function described by `spec`; throws a ConfigError naming every problem. */
export function functionConfig<S extends Pick<FunctionSpec, "needs">>(
  spec: S,
  env: Record<string, string | undefined>,
): FunctionConfig<S> {
  const values = parseConfigValues(env);
  const problems = configProblems(values);
  for (const [variable, why] of requiredVariables(spec)) {
    if (values.cleaned[variable] === undefined) problems.push(`${variable}: is required (${why})`);
  }
  if (problems.length > 0 || !values.config) {
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  return values.config as FunctionConfig<S>;
}
