/** Ferry's typed TypeScript client: `import { FerryClient } from "#client/index.ts"`. */
export { FerryClient, type FerryClientOptions, type RequestOptions } from "./client.ts";
export * from "./errors.ts";
export {
  defaultWebSocket,
  type WatchOptions,
  type WebSocketFactory,
  type WebSocketLike,
} from "./realtime.ts";
export type * from "./types.ts";
