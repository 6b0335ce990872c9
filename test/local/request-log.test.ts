/** The local runtime's one line per HTTP request: readable on a terminal, JSON when piped. */

import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { formatRequestLine, type LocalLog, type RequestLine } from "#infra/local/functions/lambda-context.ts";
import { createHttpGateway } from "#infra/local/gateways/http-gateway.ts";
import { manifest } from "#shared/app/manifest.ts";

const line: RequestLine = {
  method: "GET",
  path: "/v1/tasks/tsk_1",
  route: "GET /v1/tasks/{taskId}",
  status: 404,
  ms: 7,
  requestId: "req-1",
};

describe("request lines", () => {
  it("reads as method, path, status, time and route on a terminal", () => {
    expect(formatRequestLine(line, false)).toBe("GET /v1/tasks/tsk_1 404 7ms  (GET /v1/tasks/{taskId})");
  });

  it("is one JSON object when piped", () => {
    expect(JSON.parse(formatRequestLine(line, true))).toMatchObject({ ...line, message: "request" });
  });

  it("is written once per request the gateway serves, with the route it matched", async () => {
    const lines: RequestLine[] = [];
    const log: LocalLog = { info: () => undefined, error: () => undefined, request: (l) => lines.push(l) };
    {
      const gateway = createHttpGateway({
        apiId: "test",
        accountId: "000000000000",
        routes: manifest.http.routes,
        fallback: manifest.http.fallback,
        invoke: async () => ({ statusCode: 204 }),
        log,
      });
      const server = createServer(gateway);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as { port: number };
      await fetch(`http://127.0.0.1:${port}/v1/tasks/tsk_1?x=1`);
      server.close();

      expect(lines).toEqual([
        expect.objectContaining({
          method: "GET",
          path: "/v1/tasks/tsk_1",
          route: "GET /v1/tasks/{taskId}",
          status: 204,
        }),
      ]);
    }
  });
});
