import { randomUUID } from "node:crypto";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type SesEmulator, startSesEmulator } from "#infra/local/aws/ses-emulator.ts";

let emulator: SesEmulator;
let ses: SESv2Client;

function sendEmail(input: { to: string[]; subject: string; text?: string; html?: string }) {
  return ses.send(
    new SendEmailCommand({
      FromEmailAddress: "Ferry <noreply@ferry.test>",
      Destination: { ToAddresses: input.to },
      Content: {
        Simple: {
          Subject: { Data: input.subject },
          Body: {
            ...(input.text === undefined ? {} : { Text: { Data: input.text } }),
            ...(input.html === undefined ? {} : { Html: { Data: input.html } }),
          },
        },
      },
    }),
  );
}

beforeAll(async () => {
  emulator = await startSesEmulator();
  ses = new SESv2Client({
    endpoint: emulator.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
});

beforeEach(async () => {
  await emulator.clear();
});

afterAll(async () => {
  ses?.destroy();
  await emulator?.stop();
});

describe("SES emulator", () => {
  it("listens on loopback", () => {
    expect(new URL(emulator.endpoint).hostname).toBe("127.0.0.1");
  });

  it("puts an SESv2 SendEmail with several recipients, text and html in the outbox", async () => {
    const subject = `Receipt ${randomUUID()}`;
    const to = ["ada@example.com", "grace@example.com", "linus@example.com"];

    const sent = await sendEmail({ to, subject, text: "Thanks — ₹1,499 paid.", html: "<p>Thanks</p>" });
    const outbox = await emulator.outbox();

    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toEqual({
      messageId: sent.MessageId,
      from: "Ferry <noreply@ferry.test>",
      to,
      subject,
      text: "Thanks — ₹1,499 paid.",
      html: "<p>Thanks</p>",
      at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/),
    });
  });

  it("leaves out the body part an email does not have", async () => {
    await sendEmail({ to: ["ada@example.com"], subject: "text only", text: "plain" });

    const [email] = await emulator.outbox();

    expect(email?.text).toBe("plain");
    expect(email).not.toHaveProperty("html");
  });

  it("keeps emails in the order they were sent", async () => {
    await sendEmail({ to: ["a@example.com"], subject: "first", text: "1" });
    await sendEmail({ to: ["b@example.com"], subject: "second", html: "<b>2</b>" });

    const outbox = await emulator.outbox();

    expect(outbox.map((e) => e.subject)).toEqual(["first", "second"]);
  });

  it("empties the outbox on clear()", async () => {
    await sendEmail({ to: ["ada@example.com"], subject: "to be cleared", text: "x" });

    await emulator.clear();

    expect(await emulator.outbox()).toEqual([]);
  });
});
