/**
 * Any text a JSON string can hold, end to end (issue #14): POST /v1/emails → SQS (fauxqs) →
 * worker → SES (aws-ses-v2-local) → GET /local/outbox. What is accepted arrives exactly as sent;
 * what cannot be sent meaningfully (lone surrogates: no UTF-8 encoding exists for them, SES would
 * get U+FFFD) is refused with a 400 naming the field, never a 503 that no retry can fix.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OutboxEmail } from "#infra/local/aws/ses-emulator.ts";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { call, eventually } from "#test/support/http.ts";
import { startTestRuntime } from "#test/support/runtime.ts";

let rt: LocalRuntime;

beforeAll(async () => {
  rt = await startTestRuntime({ EMAIL_FROM: "sender@ferry.test" });
});

afterAll(async () => {
  await rt?.stop();
});

const send = (subject: string, text: string) =>
  call(rt.url, "POST", "/v1/emails", { key: rt.devApiKey, json: { to: "ada@example.com", subject, text } });

async function delivered(subjectMark: string): Promise<OutboxEmail> {
  return eventually(async () => (await rt.outbox()).find((e) => e.subject.includes(subjectMark)), {
    what: `the email ${JSON.stringify(subjectMark)} in the outbox`,
  });
}

describe("email text beyond ASCII", () => {
  it.each([
    ["emoji (above U+FFFF)", "Order shipped \u{1F4E6}\u{1F680}", "Thanks \u{1F600} — see you \u{1F44B}"],
    ["U+FFFF and U+FFFE (noncharacters, valid Unicode)", "a\uFFFFb", "x\uFFFEy\uFFFFz"],
    ["right-to-left marks and text", "\u202Bשלום\u202C \u200Fمرحبا", "\u200F\u202Eevil.exe\u202C"],
    ["accents, CJK and a zero-width joiner", "Café 東京 👩\u200D💻", "naïve façade 東京"],
  ])("accepts %s and delivers it exactly as sent", async (_what, subjectText, text) => {
    // Prepare: a unique mark, so this test finds its own email in the shared outbox.
    const subject = `${subjectText} #${Math.random().toString(36).slice(2)}`;

    // Act
    const res = await send(subject, text);

    // Assess
    expect(res.status).toBe(202);
    const email = await delivered(subject.slice(subject.lastIndexOf("#")));
    expect(email.subject).toBe(subject);
    expect(email.text).toBe(text);
  });

  it.each([
    ["subject", "lone \uD800 high surrogate", "fine"],
    ["text", "fine", "lone \uDFFF low surrogate"],
  ])("refuses a lone surrogate in %s with a 400 naming the field", async (field, subject, text) => {
    // Act
    const res = await send(subject, text);

    // Assess
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({
      errors: [{ path: field, message: expect.stringMatching(/surrogate/) }],
    });
  });
});
