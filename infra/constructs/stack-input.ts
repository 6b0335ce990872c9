/** Shared by the stack's constructs: the synth-time error for bad input, and construct IDs. */

/** A manifest entry or stack setting the stack cannot deploy; thrown at synth, naming the culprit. */
export class InvalidStackInputError extends Error {
  override readonly name = "InvalidStackInputError";
}

/**
 * `notFound` → `NotFound`, `get /v1/tasks/{taskId}` → `GetV1TasksTaskId`, `$connect` → `Connect`:
 * readable, stable construct IDs (and so logical IDs) from manifest names.
 */
export function constructId(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join("");
}
