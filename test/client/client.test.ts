/**
 * The typed client against the local runtime: sends, reads, lists, typed errors, and watching a
 * task over the WebSocket to the end, through a dropped connection. SES sits behind the fault
 * proxy so a send can be made to fail for real.
 */
import { randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  BadRequestError,
  FerryClient,
  NotFoundError,
  type Task,
  UnauthorizedError,
  type WebSocketLike,
} from "#client/index.ts";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { forFile } from "#test/support/for-file.ts";
import { startTestRuntimeBehindSesProxy } from "#test/support/runtime-behind-ses-proxy.ts";
import { reject, type SesFaultProxy, throttle } from "#test/support/ses-fault-proxy.ts";

let rt: LocalRuntime;
let ses: SesFaultProxy;
let client: FerryClient;

forFile(
  () =>
    startTestRuntimeBehindSesProxy({
      EMAIL_FROM: "client@ferry.test",
      EMAIL_RETRY_BASE_SECONDS: "1",
      EMAIL_RETRY_MAX_SECONDS: "1",
      SES_BREAKER_THRESHOLD: "1000",
    }),
  (started) => {
    ({ rt, ses } = started);
    client = new FerryClient({ baseUrl: rt.url, apiKey: rt.devApiKey });
  },
);
beforeEach(() => ses.setPlan(() => ({ kind: "forward" })));

const collect = async (iterator: AsyncIterable<Task>) => {
  const seen: Task[] = [];
  for await (const task of iterator) seen.push(task);
  return seen;
};

describe("FerryClient over HTTP", () => {
  it("sends an email and reads and lists its task", async () => {
    const subject = `client ${randomUUID()}`;

    const accepted = await client.sendEmail({ to: "ada@example.com", subject, text: "hi" });
    const task = await client.getTask(accepted.taskId);
    const listed = await client.listTasks({ limit: 100 });

    expect(accepted.status).toBe("queued");
    expect(task.id).toBe(accepted.taskId);
    expect(listed.items.map((t) => t.id)).toContain(accepted.taskId);
  });

  it("puts an Idempotency-Key on every POST, so only an explicit key makes two sends one", async () => {
    const email = { to: "ada@example.com", subject: `idem ${randomUUID()}`, text: "once" };
    const key = randomUUID();

    const first = await client.sendEmail(email);
    const second = await client.sendEmail(email);
    const keyed = await client.sendEmail(email, { idempotencyKey: key });
    const replay = await client.sendEmail(email, { idempotencyKey: key });

    expect(first.taskId).not.toBe(second.taskId);
    expect(replay.taskId).toBe(keyed.taskId);
  });

  it("throws typed errors carrying the problem", async () => {
    const anonymous = new FerryClient({ baseUrl: rt.url, apiKey: "not-a-key" });

    await expect(client.getTask("tsk_missing")).rejects.toBeInstanceOf(NotFoundError);
    await expect(anonymous.listTasks()).rejects.toBeInstanceOf(UnauthorizedError);
    const invalid = await client
      .sendEmail({ to: "not-an-address", subject: "x", text: "x" })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(BadRequestError);
    expect((invalid as BadRequestError).problem.errors?.[0]?.path).toBe("to");
    expect((invalid as BadRequestError).requestId).toBeTruthy();
  });
});

describe("FerryClient.watchTask", () => {
  it("yields each state once, in version order, ending with succeeded", async () => {
    const { taskId } = await client.sendEmail({
      to: "ada@example.com",
      subject: `watch ${randomUUID()}`,
      text: "w",
    });

    const states = await collect(client.watchTask(taskId));

    expect(states.at(-1)?.status).toBe("succeeded");
    const versions = states.map((t) => t.version);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
  });

  it("ends with failed when SES rejects the email", async () => {
    const subject = `rejected ${randomUUID()}`;
    ses.setPlan((c) => (c.subject === subject ? reject() : { kind: "forward" }));
    const { taskId } = await client.sendEmail({ to: "ada@example.com", subject, text: "no" });

    const states = await collect(client.watchTask(taskId));

    expect(states.at(-1)).toMatchObject({ status: "failed", error: { code: "MessageRejected" } });
  });

  it("reconnects with a fresh ticket after the connection drops and never repeats a version", async () => {
    const subject = `dropped ${randomUUID()}`;
    // The first attempt is throttled, so the task is still moving when the connection drops.
    let attempts = 0;
    ses.setPlan((c) => (c.subject === subject && attempts++ === 0 ? throttle() : { kind: "forward" }));
    const urls: string[] = [];
    const dropping = new FerryClient({
      baseUrl: rt.url,
      apiKey: rt.devApiKey,
      webSocket: (url) => {
        urls.push(url);
        const socket = new WebSocket(url);
        if (urls.length === 1) {
          // The first connection is cut after its first message, as a network drop would.
          socket.once("message", () => socket.terminate());
        }
        return socket as unknown as WebSocketLike;
      },
    });
    const { taskId } = await dropping.sendEmail({ to: "ada@example.com", subject, text: "drop" });

    const states = await collect(dropping.watchTask(taskId));

    expect(urls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(urls).size).toBe(urls.length);
    expect(states.at(-1)?.status).toBe("succeeded");
    const versions = states.map((t) => t.version);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
  });
});
