/**
 * `consoleOrigins`: a console opened against a deployed stack calls the HTTP API from a browser,
 * which reads the answers only when the API allows the console's origin (CORS). Off by default;
 * the listed origins, exactly, on the HTTP API's own preflight; nothing on the WebSocket API.
 */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it, vi } from "vitest";
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS } from "#infra/constructs/ferry-http-api.ts";
import { InvalidStackInputError } from "#infra/constructs/stack-input.ts";
import { parseConsoleOrigins, settingProblems } from "#infra/settings.ts";
import { buildStack } from "#test/infra/support/build-stack.ts";

vi.setConfig({ testTimeout: 90_000 });

describe("consoleOrigins on the HTTP API", () => {
  it("configures no CORS by default", () => {
    const { template } = buildStack();

    template.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      ProtocolType: "HTTP",
      CorsConfiguration: Match.absent(),
    });
  });

  it("allows exactly the listed origins, the console's headers and methods, on the HTTP API only", () => {
    const origins = ["https://console.ferry.dev", "http://localhost:5173"];

    const { template } = buildStack({ consoleOrigins: origins });

    template.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      ProtocolType: "HTTP",
      CorsConfiguration: {
        AllowOrigins: origins,
        AllowMethods: ["GET", "POST", "OPTIONS"],
        AllowHeaders: [...CORS_ALLOW_HEADERS],
        ExposeHeaders: [...CORS_EXPOSE_HEADERS],
        MaxAge: 3600,
      },
    });
    template.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      ProtocolType: "WEBSOCKET",
      CorsConfiguration: Match.absent(),
    });
    expect(CORS_ALLOW_HEADERS).toEqual(expect.arrayContaining(["authorization", "idempotency-key"]));
    expect(CORS_EXPOSE_HEADERS).toEqual(expect.arrayContaining(["x-request-id", "retry-after"]));
  });

  it("refuses a malformed origin at synth, naming it", () => {
    expect(() => buildStack({ consoleOrigins: ["https://console.ferry.dev/"] })).toThrow(
      InvalidStackInputError,
    );
    expect(() => buildStack({ consoleOrigins: ["https://console.ferry.dev/"] })).toThrow(
      /consoleOrigins: "https:\/\/console\.ferry\.dev\/"/,
    );
  });
});

describe("parseConsoleOrigins", () => {
  it("reads a comma-separated list, trimmed and without repeats", () => {
    expect(parseConsoleOrigins(" https://a.ferry.dev ,http://127.0.0.1:3000,https://a.ferry.dev,")).toEqual({
      origins: ["https://a.ferry.dev", "http://127.0.0.1:3000"],
      problems: [],
    });
    expect(parseConsoleOrigins(undefined)).toEqual({ origins: [], problems: [] });
  });

  it.each([
    ["*", /not accepted/],
    ["console.ferry.dev", /not an origin/],
    ["https://console.ferry.dev/app", /did you mean "https:\/\/console\.ferry\.dev"/],
    ["http://console.ferry.dev", /must be https/],
  ])("refuses %s", (origin, why) => {
    const { origins, problems } = parseConsoleOrigins(origin);

    expect(origins).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(why)]);
    expect(settingProblems({ consoleOrigins: origin })).toEqual(problems);
  });
});
