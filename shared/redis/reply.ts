/** The client does not deserialise (shared/redis/client.ts): scripts and GETs return Redis's strings. */
export function asString(value: unknown): string {
  if (typeof value !== "string") throw new Error(`Unexpected Redis reply type: ${typeof value}`);
  return value;
}
