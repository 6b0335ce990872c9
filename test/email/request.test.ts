import { describe, expect, it } from "vitest";
import { emailRequestSchema, normalizeEmail } from "#shared/email/request.ts";

const valid = { to: "a@example.com", subject: "Hi", text: "Hello" };
const issuesOf = (body: unknown) => {
  const r = emailRequestSchema.safeParse(body);
  return r.success ? [] : r.error.issues.map((i) => i.path.join("."));
};

describe("POST /v1/emails body", () => {
  it("accepts one address or a list, and normalizes to a list", () => {
    expect(normalizeEmail(emailRequestSchema.parse(valid)).to).toEqual(["a@example.com"]);
    const many = emailRequestSchema.parse({
      ...valid,
      to: ["a@example.com", "b@example.com"],
      html: "<p>x</p>",
    });
    expect(normalizeEmail(many)).toMatchObject({ to: ["a@example.com", "b@example.com"], html: "<p>x</p>" });
  });

  it("accepts 50 recipients and refuses 51 and none", () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `u${i}@example.com`);
    expect(issuesOf({ ...valid, to: list(50) })).toEqual([]);
    expect(issuesOf({ ...valid, to: list(51) })).toEqual(["to"]);
    expect(issuesOf({ ...valid, to: [] })).toEqual(["to"]);
  });

  it("says what the recipient limit is when a request exceeds it, not just that it is invalid", () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `u${i}@example.com`);
    const messageOf = (body: unknown) => emailRequestSchema.safeParse(body).error?.issues[0]?.message;

    expect(messageOf({ ...valid, to: list(51) })).toBe("at most 50 addresses per request (got 51)");
    expect(messageOf({ ...valid, replyTo: list(11) })).toBe("at most 10 addresses per request (got 11)");
    expect(messageOf({ ...valid, to: 42 })).toBe("must be an email address or a list of 1–50 addresses");
  });

  it("refuses an invalid address and names its position", () => {
    expect(issuesOf({ ...valid, to: ["a@example.com", "not-an-address"] })).toContain("to.1");
  });

  it("needs a subject of 1 to 998 characters without line breaks", () => {
    expect(issuesOf({ ...valid, subject: "" })).toEqual(["subject"]);
    expect(issuesOf({ ...valid, subject: "x".repeat(998) })).toEqual([]);
    expect(issuesOf({ ...valid, subject: "x".repeat(999) })).toEqual(["subject"]);
    expect(issuesOf({ ...valid, subject: "Hi\r\nBcc: victim@example.com" })).toEqual(["subject"]);
  });

  it("needs text or html", () => {
    expect(issuesOf({ to: "a@example.com", subject: "Hi" })).toEqual(["text"]);
    expect(issuesOf({ to: "a@example.com", subject: "Hi", html: "<b>x</b>" })).toEqual([]);
  });

  it("refuses unknown fields, so typos are reported", () => {
    expect(issuesOf({ ...valid, body: "oops" })).toEqual([""]);
  });

  it("checks tags and replyTo", () => {
    expect(issuesOf({ ...valid, tags: { campaign: "spring-2026" }, replyTo: "r@example.com" })).toEqual([]);
    expect(issuesOf({ ...valid, tags: { "bad name": "x" } })).toEqual(["tags.bad name"]);
    // SES refuses these at send time; refusing them here keeps the mistake a 400, not a failed task.
    expect(issuesOf({ ...valid, tags: { user: "a@b.com" } })).toEqual(["tags.user"]);
    expect(issuesOf({ ...valid, tags: { empty: "" } })).toEqual(["tags.empty"]);
    expect(issuesOf({ ...valid, tags: { ferry_task: "mine" } })).toEqual(["tags.ferry_task"]);
    expect(issuesOf({ ...valid, replyTo: "nope" })).toEqual(["replyTo"]);
  });
});
