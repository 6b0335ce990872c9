/** Live task results: the ticket route and the WebSocket API's routes (docs/realtime.md). */
import type { ManifestPart } from "./types.ts";

export const realtime = {
  functions: {
    createRealtimeTicket: {
      entry: "functions/http/create-realtime-ticket.ts",
      description: "POST /v1/realtime/tickets: single-use WebSocket connection ticket",
      timeoutSeconds: 5,
      memoryMb: 256,
      needs: ["websocket:url"],
      http: [
        {
          method: "POST",
          path: "/v1/realtime/tickets",
          auth: { kind: "apiKey", scopes: ["realtime:connect"] },
          rateLimit: ["api"],
        },
      ],
    },
    wsConnect: {
      entry: "functions/ws/connect.ts",
      description: "WebSocket $connect: admits ticket holders, records the connection",
      timeoutSeconds: 5,
      memoryMb: 256,
      needs: [],
      webSocket: ["$connect"],
    },
    wsDisconnect: {
      entry: "functions/ws/disconnect.ts",
      description: "WebSocket $disconnect: forgets the connection and its subscriptions",
      timeoutSeconds: 5,
      memoryMb: 256,
      needs: [],
      webSocket: ["$disconnect"],
    },
    wsMessage: {
      entry: "functions/ws/message.ts",
      description: "WebSocket subscribe / unsubscribe / ping and $default: replies via PostToConnection",
      timeoutSeconds: 10,
      memoryMb: 256,
      needs: ["websocket:manage"],
      webSocket: ["$default", "subscribe", "unsubscribe", "ping"],
    },
  },
} as const satisfies ManifestPart;
