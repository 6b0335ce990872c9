// Entry of a local function's worker thread (see function-host.ts). Plain JavaScript because it
// runs before any TypeScript loader: it registers tsx for this thread, then loads the worker.
import { register } from "tsx/esm/api";

register();
await import("./function-worker.ts");
