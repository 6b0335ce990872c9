import { describe, expect, it } from "vitest";
import { redactCommandEcho } from "#shared/logger.ts";

describe("log redaction", () => {
  it("drops the Redis command that @upstash/redis echoes in its errors, keeping the rest", () => {
    const message =
      'ERR script failed, command was: ["evalsha","abc",1,"ferry:payments:x","{\\"email\\":\\"a@b.com\\"}"]';
    const stack = `UpstashError: ${message}\n    at HttpClient.request (nodejs.js:229:13)`;

    expect(redactCommandEcho("message", message)).toBe("ERR script failed, command was: (omitted)");
    expect(redactCommandEcho("stack", stack)).toBe(
      "UpstashError: ERR script failed, command was: (omitted)\n    at HttpClient.request (nodejs.js:229:13)",
    );
    expect(redactCommandEcho("n", 3)).toBe(3);
  });
});
