/**
 * The pipeline's figures and, beside each, its floor or ceiling measured in the same run on the
 * same emulators (see pipeline.ts for what each means and BENCHMARKS.md for the method).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { Redis } from "ioredis";
import Stripe from "stripe";
import { redisKeys } from "#shared/redis/keys.ts";
import type { StoredTask } from "#shared/tasks/store.ts";
import {
  closedLoop,
  cpuMsSince,
  type Harness,
  type Latencies,
  latencies,
  sleep,
} from "./pipeline-harness.ts";
import { type FinalSeen, type Swarm, wallClockMs } from "./pipeline-swarm.ts";

export const EMAIL = { to: ["bench@example.com"], subject: "Bench", text: "Hello" };

/** Waits for `count` terminal updates of `taskId` (or a deadline: the benchmark stops by itself). */
function finalsOf(swarm: Swarm, taskId: string, count: number, timeoutMs = 30_000): Promise<FinalSeen[]> {
  return new Promise((resolve, reject) => {
    const seen: FinalSeen[] = [];
    const timer = setTimeout(() => {
      off();
      reject(new Error(`saw ${seen.length} of ${count} final updates of ${taskId} in ${timeoutMs} ms`));
    }, timeoutMs);
    const off = swarm.onFinal((f) => {
      if (f.taskId !== taskId) return;
      seen.push(f);
      if (seen.length === count) {
        clearTimeout(timer);
        off();
        resolve(seen);
      }
    });
  });
}

async function postEmail(h: Harness): Promise<{ status: number; taskId?: string }> {
  const res = await fetch(`${h.runtime.url}/v1/emails`, {
    method: "POST",
    headers: { authorization: `Bearer ${h.apiKey.secret}`, "content-type": "application/json" },
    body: JSON.stringify(EMAIL),
  });
  const body = (await res.json()) as { taskId?: string };
  return { status: res.status, ...(body.taskId ? { taskId: body.taskId } : {}) };
}

// ---- latency: submit → succeeded seen over a WebSocket ------------------------------------------

/**
 * POST /v1/emails, then subscribe on an open connection as soon as the task id is known; the
 * time runs from just before the POST to the moment the client holds `succeeded` (pushed, or in
 * the subscribe reply when the task finished first). One email at a time.
 */
export async function submitToSucceeded(h: Harness, swarm: Swarm, runs: number): Promise<Latencies> {
  let conn = -1;
  const samples: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    // A connection may hold 100 subscriptions (MAX_SUBSCRIPTIONS_PER_CONNECTION): a fresh one
    // every 90 emails, opened before the clock starts.
    if (i % 90 === 0) conn = (await swarm.open(await h.ticketUrls(1), 1)) - 1;
    const t0 = wallClockMs();
    const posted = await postEmail(h);
    if (posted.status !== 202 || !posted.taskId) throw new Error(`POST /v1/emails answered ${posted.status}`);
    const seen = finalsOf(swarm, posted.taskId, 1);
    swarm.subscribeNow([[conn, posted.taskId]]);
    const [final] = await seen;
    if (i >= 3 && final) samples.push(final.at - t0); // 3 warm-ups: cold starts
  }
  return latencies(samples);
}

export interface FanOutResult {
  /** Enqueue → the last of the subscribers holds `succeeded`. */
  readonly toLast: Latencies;
  /** Enqueue → the first of them does. */
  readonly toFirst: Latencies;
  /** The `succeeded` transition (its updatedAt, written by the worker's script) → the last receipt. */
  readonly fanOut: Latencies;
}

/**
 * A task watched by `subscribers` connections before its message is enqueued (the message POST
 * /v1/emails would send): the worker's pushes of `processing` and `succeeded` go to all of them.
 */
export async function watchedByMany(
  h: Harness,
  swarm: Swarm,
  subscribers: number,
  runs: number,
): Promise<FanOutResult> {
  const last = (await swarm.open(await h.ticketUrls(subscribers), 50)) - 1;
  const conns = Array.from({ length: subscribers }, (_, i) => last - i);
  const toLast: number[] = [];
  const toFirst: number[] = [];
  const fanOut: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const task = await h.newTask();
    for (let c = 0; c < conns.length; c += 50) {
      await swarm.subscribe(conns.slice(c, c + 50).map((conn) => [conn, task.id] as const));
    }
    const seen = finalsOf(swarm, task.id, subscribers);
    const t0 = wallClockMs();
    await h.enqueueEmail(task);
    const finals = await seen;
    if (i < 2) continue; // warm-ups
    const ats = finals.map((f) => f.at);
    const lastAt = Math.max(...ats);
    toLast.push(lastAt - t0);
    toFirst.push(Math.min(...ats) - t0);
    fanOut.push(lastAt - Date.parse(finals[0]?.updatedAt ?? ""));
  }
  return { toLast: latencies(toLast), toFirst: latencies(toFirst), fanOut: latencies(fanOut) };
}

// ---- ingest -------------------------------------------------------------------------------------

export interface ThroughputResult {
  readonly concurrency: number;
  readonly requests: number;
  readonly perSecond: number;
  readonly latency: Latencies;
  /** Answers other than 202 (429 and 503 are refusals). */
  readonly refused: number;
  readonly statuses: Readonly<Record<string, number>>;
  /**
   * CPU (user + system) of the benchmark process, all its threads (client, gateway, proxies,
   * emulators, sandboxes; not redis-server), per request: unlike requests/s it barely moves with
   * the load other users put on the machine.
   */
  readonly cpuMsPerRequest: number;
}

/** CPU milliseconds of this process (every thread) spent while `run` runs. */
export async function cpuMsOf<T>(run: () => Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const before = process.cpuUsage();
  const value = await run();
  const used = process.cpuUsage(before);
  return { value, cpuMs: (used.user + used.system) / 1000 };
}

export async function ingest(h: Harness, concurrency: number, requests: number): Promise<ThroughputResult> {
  await closedLoop(Math.min(50, requests), concurrency, async () => void (await postEmail(h))); // warm
  const statuses: Record<string, number> = {};
  const {
    value: { durations, elapsedMs },
    cpuMs,
  } = await cpuMsOf(() =>
    closedLoop(requests, concurrency, async () => {
      const { status } = await postEmail(h);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }),
  );
  return {
    concurrency,
    requests,
    perSecond: (requests / elapsedMs) * 1000,
    latency: latencies(durations),
    refused: requests - (statuses["202"] ?? 0),
    statuses,
    cpuMsPerRequest: cpuMs / requests,
  };
}

/** The floor of one ingest request: one Upstash round trip, then one SQS SendMessage, through the same proxy and edge. */
export async function ingestFloor(
  h: Harness,
  concurrency: number,
  requests: number,
): Promise<ThroughputResult> {
  const queueUrl = await h.benchQueue(false);
  const body = JSON.stringify({ kind: "email.send", taskId: "x".repeat(36), email: EMAIL });
  const one = async () => {
    await h.redis.set(`bench:floor:${randomUUID()}`, "1", { ex: 60 });
    await h.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  };
  await closedLoop(Math.min(50, requests), concurrency, one);
  const {
    value: { durations, elapsedMs },
    cpuMs,
  } = await cpuMsOf(() => closedLoop(requests, concurrency, one));
  return {
    concurrency,
    requests,
    perSecond: (requests / elapsedMs) * 1000,
    latency: latencies(durations),
    refused: 0,
    statuses: {},
    cpuMsPerRequest: cpuMs / requests,
  };
}

// ---- webhook acknowledgement --------------------------------------------------------------------

export interface AckResult {
  readonly webhook: Latencies;
  readonly floor: Latencies;
  readonly statuses: Readonly<Record<string, number>>;
}

function stripeEvent(): string {
  const id = `pi_${randomBytes(12).toString("hex")}`;
  return JSON.stringify(
    {
      id: `evt_${randomBytes(12).toString("hex")}`,
      object: "event",
      api_version: "2024-06-20",
      created: Math.floor(Date.now() / 1000),
      type: "payment_intent.processing",
      livemode: false,
      data: {
        object: {
          id,
          object: "payment_intent",
          amount: 2000,
          amount_received: 0,
          currency: "usd",
          status: "processing",
          receipt_email: null,
          metadata: {},
        },
      },
    },
    null,
    2,
  );
}

/** A signed Stripe webhook, one at a time, against one bare SendMessage to a FIFO queue. */
export async function webhookAck(h: Harness, runs: number): Promise<AckResult> {
  const secret = h.runtime.webhookSecrets.stripe.split(",")[0] ?? "";
  const statuses: Record<string, number> = {};
  const post = async () => {
    const payload = stripeEvent();
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
    const res = await fetch(`${h.runtime.url}/v1/webhooks/stripe`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": signature },
      body: payload,
    });
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  };
  await closedLoop(5, 1, post);
  for (const k of Object.keys(statuses)) delete statuses[k];
  const webhook = await closedLoop(runs, 1, post);
  const queueUrl = await h.benchQueue(true);
  const send = async () => {
    await h.sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: stripeEvent(), MessageGroupId: "stripe" }),
    );
  };
  await closedLoop(5, 1, send);
  const floor = await closedLoop(runs, 1, send);
  return { webhook: latencies(webhook.durations), floor: latencies(floor.durations), statuses };
}

// ---- end to end ---------------------------------------------------------------------------------

/** Resolves once every task is terminal, reading redis-server directly (not through the counted proxy). */
async function allTerminal(inspector: Redis, taskIds: readonly string[], timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let pending = [...taskIds];
  while (pending.length > 0) {
    if (performance.now() > deadline) throw new Error(`${pending.length} tasks still not terminal`);
    const raws = await inspector.mget(...pending.map((id) => redisKeys.task(id)));
    pending = pending.filter((_, i) => {
      const raw = raws[i];
      if (!raw) return true;
      const status = (JSON.parse(raw) as StoredTask).status;
      return status !== "succeeded" && status !== "failed";
    });
    if (pending.length > 0) await sleep(5);
  }
  return performance.now();
}

export interface EndToEndResult {
  readonly emails: number;
  readonly perSecond: number;
  readonly succeeded: number;
  /** CPU of the benchmark process (every thread; not redis-server) per email, as for ingest. */
  readonly cpuMsPerEmail: number;
}

/** POST /v1/emails × n at concurrency 16, from the first request to the last task's `succeeded`. */
export async function endToEnd(h: Harness, emails: number): Promise<EndToEndResult> {
  const inspector = new Redis(h.redisUrl);
  try {
    const ids: string[] = [];
    const cpu = process.cpuUsage();
    const started = performance.now();
    await closedLoop(emails, 16, async () => {
      const posted = await postEmail(h);
      if (posted.taskId) ids.push(posted.taskId);
    });
    const done = await allTerminal(inspector, ids, 120_000);
    const cpuMs = cpuMsSince(cpu);
    const raws = await inspector.mget(...ids.map((id) => redisKeys.task(id)));
    const succeeded = raws.filter((r) => r && (JSON.parse(r) as StoredTask).status === "succeeded").length;
    return {
      emails,
      perSecond: (emails / (done - started)) * 1000,
      succeeded,
      cpuMsPerEmail: cpuMs / emails,
    };
  } finally {
    inspector.disconnect();
  }
}

// ---- Redis round trips --------------------------------------------------------------------------

export interface RoundTrips {
  readonly requests: number;
  readonly commands: number;
}

/** Per email in the worker: one message at a time (no auto-pipelining across emails), no subscribers. */
export async function workerRoundTrips(h: Harness, emails: number): Promise<RoundTrips> {
  const inspector = new Redis(h.redisUrl);
  try {
    const warm = await h.newTask();
    await h.enqueueEmail(warm);
    await allTerminal(inspector, [warm.id], 30_000);
    let requests = 0;
    let commands = 0;
    for (let i = 0; i < emails; i++) {
      const task = await h.newTask();
      const before = h.stats();
      await h.enqueueEmail(task);
      await allTerminal(inspector, [task.id], 30_000);
      const after = h.stats();
      requests += after.requests - before.requests;
      commands += after.commands - before.commands;
    }
    return { requests: requests / emails, commands: commands / emails };
  } finally {
    inspector.disconnect();
  }
}

/** Per HTTP request, one request at a time (the harness's workers must be no-ops). */
export async function httpRoundTrips(h: Harness, requests: number): Promise<Record<string, RoundTrips>> {
  const routes: Record<string, () => Promise<unknown>> = {
    "POST /v1/emails": () => postEmail(h),
  };
  const out: Record<string, RoundTrips> = {};
  for (const [route, send] of Object.entries(routes)) {
    await send();
    const before = h.stats();
    for (let i = 0; i < requests; i++) await send();
    const after = h.stats();
    out[route] = {
      requests: (after.requests - before.requests) / requests,
      commands: (after.commands - before.commands) / requests,
    };
  }
  return out;
}

// ---- many connections ---------------------------------------------------------------------------

export interface ManyConnectionsResult {
  readonly connections: number;
  readonly openSeconds: number;
  readonly completed: number;
  /** The `succeeded` transition → the watching client holds it. */
  readonly push: Latencies;
  /** Enqueue → the watching client holds `succeeded`. */
  readonly enqueueToSeen: Latencies;
  /** Memory of the process holding the gateway, after opening minus before (MiB). */
  readonly heapMiB: number;
  readonly rssMiB: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const memory = () => {
  gc?.();
  return process.memoryUsage();
};

/**
 * `connections` WebSocket connections held by the local gateway (clients in a child process),
 * each subscribed to a task of its own; then `complete` of those tasks are sent at `ratePerSecond`
 * while all connections stay open.
 */
export async function manyConnections(
  h: Harness,
  swarm: Swarm,
  connections: number,
  complete: number,
  ratePerSecond: number,
): Promise<ManyConnectionsResult> {
  const before = memory();
  const t0 = performance.now();
  // Tickets live 60 s: each 500 are written just before their connections open.
  let last = -1;
  for (let i = 0; i < connections; i += 500) {
    last = (await swarm.open(await h.ticketUrls(Math.min(500, connections - i)), 64)) - 1;
  }
  const openSeconds = (performance.now() - t0) / 1000;
  const first = last - connections + 1;
  const tasks: StoredTask[] = [];
  for (let i = 0; i < connections; i += 250) {
    tasks.push(
      ...(await Promise.all(Array.from({ length: Math.min(250, connections - i) }, () => h.newTask()))),
    );
  }
  // 100 subscribes in flight at a time: the point is holding the connections, not a subscribe storm.
  for (let i = 0; i < connections; i += 100) {
    await swarm.subscribe(tasks.slice(i, i + 100).map((t, j) => [first + i + j, t.id] as const));
  }
  const after = memory();

  const enqueuedAt = new Map<string, number>();
  const push: number[] = [];
  const enqueueToSeen: number[] = [];
  let resolveAll: () => void = () => undefined;
  const allSeen = new Promise<void>((resolve) => {
    resolveAll = resolve;
  });
  const off = swarm.onFinal((f) => {
    const sent = enqueuedAt.get(f.taskId);
    if (sent === undefined) return;
    enqueuedAt.delete(f.taskId);
    push.push(f.at - Date.parse(f.updatedAt));
    enqueueToSeen.push(f.at - sent);
    if (push.length === complete) resolveAll();
  });
  const picked = tasks
    .filter((_, i) => i % Math.max(1, Math.floor(connections / complete)) === 0)
    .slice(0, complete);
  const gapMs = 1000 / ratePerSecond;
  const startedAt = performance.now();
  for (const [i, task] of picked.entries()) {
    const due = startedAt + i * gapMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    enqueuedAt.set(task.id, wallClockMs());
    void h.enqueueEmail(task);
  }
  const timeout = sleep(60_000).then(() => "timeout" as const);
  const outcome = await Promise.race([allSeen.then(() => "ok" as const), timeout]);
  off();
  if (outcome === "timeout") throw new Error(`only ${push.length} of ${complete} pushes arrived in 60 s`);
  return {
    connections,
    openSeconds,
    completed: push.length,
    push: latencies(push),
    enqueueToSeen: latencies(enqueueToSeen),
    heapMiB: (after.heapUsed - before.heapUsed) / 2 ** 20,
    rssMiB: (after.rss - before.rss) / 2 ** 20,
  };
}
