/** Platform routes: health and the catch-all 404. */
import type { ManifestPart } from "./types.ts";

export const core = {
  functions: {
    health: {
      entry: "functions/http/health.ts",
      description: "GET /health: liveness and dependency checks",
      timeoutSeconds: 5,
      memoryMb: 256,
      needs: [],
      http: [{ method: "GET", path: "/health", auth: { kind: "none" }, rateLimit: [] }],
    },
    notFound: {
      entry: "functions/http/not-found.ts",
      description: "Catch-all route: 404 problem+json for unknown paths",
      timeoutSeconds: 3,
      memoryMb: 128,
      needs: [],
    },
  },
} as const satisfies ManifestPart;
