/** A value built once per container from the first config it is asked with (SDK clients). */
import type { Config } from "#shared/config.ts";

export function oncePerContainer<T, C extends Config = Config>(make: (config: C) => T): (config: C) => T {
  let value: T | undefined;
  return (config) => {
    value ??= make(config);
    return value;
  };
}
