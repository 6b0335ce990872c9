import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { FerryContext } from "#shared/http/context.ts";
import { notFound } from "#shared/http/errors.ts";
import { responseFinalizer } from "#shared/http/response.ts";
import { UpstashError } from "#shared/redis/client.ts";

function fail(error: unknown) {
  const request = {
    event: { rawPath: "/v1/tasks/x" } as APIGatewayProxyEventV2,
    context: { awsRequestId: "req-1" } as FerryContext,
    response: null,
    error: error as Error,
    internal: {},
  };
  responseFinalizer().onError?.(request as never);
  const response = request.response as unknown as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  };
  return { ...response, problem: JSON.parse(response.body) as Record<string, unknown> };
}

describe("the chain's error responses", () => {
  it("shows a client error as it is, with the request id", () => {
    const res = fail(notFound("No task x."));
    expect(res.statusCode).toBe(404);
    expect(res.headers).toMatchObject({
      "content-type": "application/problem+json",
      "x-request-id": "req-1",
    });
    expect(res.problem).toMatchObject({ status: 404, detail: "No task x.", instance: "/v1/tasks/x" });
  });

  it("answers a Redis failure or timeout with 503 and Retry-After, without its text", () => {
    const failures = [
      new UpstashError("ERR unavailable: ferry:task:secret-customer@example.com", 503),
      new UpstashError("Unauthorized", 401),
      new DOMException("The operation was aborted due to timeout", "TimeoutError"),
      new TypeError("fetch failed"),
    ];
    for (const error of failures) {
      const res = fail(error);
      expect(res.statusCode).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
      expect(res.body).not.toContain("customer@example.com");
    }
  });

  it("answers anything else with a generic 500 that carries no internals", () => {
    const res = fail(new Error("secret internal detail at line 42"));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain("secret internal detail");
    expect(res.problem).toMatchObject({ status: 500, title: "Internal server error" });
  });
});
