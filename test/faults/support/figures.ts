/**
 * The fault suite's bookkeeping: send a batch of emails through a running local runtime while a
 * fault acts, let the system settle, and count what happened to every request:
 *   sent        requests made
 *   accepted    answered 202 (the rest, refused, are listed by status)
 *   applied     accepted requests whose email reached SES (the emulator's outbox)
 *   failed      accepted requests whose task ended `failed`, by error code (a clear, final answer)
 *   duplicated  copies SES received beyond the first, over every request
 *   lost        accepted requests with no task left, or `succeeded` with no email at SES
 *   stuck       accepted requests whose task is not final when the suite stops waiting
 *   sentAnyway  refused requests whose email still went out (a 503 whose enqueue had succeeded)
 * Each scenario's figures go to a JSON file; every test file then rewrites the markdown report
 * from all of them (FERRY_FAULT_REPORT, default .ferry/fault-report.md).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import type { Task } from "#shared/tasks/task.ts";
import { call } from "#test/support/http.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const RESULTS_DIR = join(ROOT, ".ferry", "fault-results");
const REPORT = process.env.FERRY_FAULT_REPORT || join(ROOT, ".ferry", "fault-report.md");

export interface Figures {
  readonly scenario: string;
  readonly fault: string;
  readonly sent: number;
  readonly accepted: number;
  readonly refused: Readonly<Record<string, number>>;
  readonly applied: number;
  readonly failed: Readonly<Record<string, number>>;
  readonly duplicated: number;
  readonly lost: number;
  readonly stuck: number;
  readonly sentAnyway: number;
  readonly seconds: number;
}

export interface Outcome {
  readonly status: number;
  readonly subject: string;
  readonly taskId?: string;
}

/** Posts one email with a subject unique to this request; never throws on a refusal. */
export async function sendOne(rt: LocalRuntime, subject: string): Promise<Outcome> {
  try {
    const res = await call<{ taskId?: string }>(rt.url, "POST", "/v1/emails", {
      key: rt.devApiKey,
      json: { to: ["fault@example.com"], subject, text: "fault suite" },
    });
    return { status: res.status, subject, ...(res.body?.taskId ? { taskId: res.body.taskId } : {}) };
  } catch {
    return { status: 0, subject };
  }
}

/**
 * Sends `count` emails, `concurrency` at a time, `intervalMs` between rounds; `during(i)` runs
 * before request i (start or end a fault there).
 */
export async function sendMany(
  rt: LocalRuntime,
  prefix: string,
  count: number,
  options: { concurrency?: number; intervalMs?: number; during?: (i: number) => Promise<void> | void } = {},
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const concurrency = options.concurrency ?? 4;
  for (let start = 0; start < count; start += concurrency) {
    // A paced load spans the fault: without it, fast refusals would use up every request in it.
    if (start > 0 && options.intervalMs) await new Promise((r) => setTimeout(r, options.intervalMs));
    const batch: Promise<Outcome>[] = [];
    for (let i = start; i < Math.min(count, start + concurrency); i++) {
      await options.during?.(i);
      batch.push(sendOne(rt, `${prefix} #${i}`));
    }
    outcomes.push(...(await Promise.all(batch)));
  }
  return outcomes;
}

async function taskOf(rt: LocalRuntime, taskId: string): Promise<Task | undefined> {
  try {
    const res = await call<Task>(rt.url, "GET", `/v1/tasks/${taskId}`, { key: rt.devApiKey });
    return res.status === 200 ? res.body : undefined;
  } catch {
    return undefined;
  }
}

const final = (t: Task | undefined) => t !== undefined && (t.status === "succeeded" || t.status === "failed");

/** Waits (at most `settleMs`) for every accepted request's task to be final, then counts. */
export async function measure(
  rt: LocalRuntime,
  scenario: string,
  fault: string,
  outcomes: readonly Outcome[],
  startedAt: number,
  settleMs = 45_000,
): Promise<Figures> {
  const accepted = outcomes.filter((o) => o.status === 202 && o.taskId);
  const deadline = Date.now() + settleMs;
  let tasks = new Map<string, Task | undefined>();
  for (;;) {
    tasks = new Map(
      await Promise.all(
        accepted.map(async (o) => [o.taskId ?? "", await taskOf(rt, o.taskId ?? "")] as const),
      ),
    );
    if ([...tasks.values()].every(final) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  // Settled tasks may still have an SES answer on its way: let the outbox catch up.
  await new Promise((r) => setTimeout(r, 500));
  const copies = new Map<string, number>();
  for (const email of await rt.outbox()) copies.set(email.subject, (copies.get(email.subject) ?? 0) + 1);
  const count = (subject: string) => copies.get(subject) ?? 0;

  const refused: Record<string, number> = {};
  const failed: Record<string, number> = {};
  let applied = 0;
  let lost = 0;
  let stuck = 0;
  let sentAnyway = 0;
  for (const o of outcomes) {
    if (o.status !== 202 || !o.taskId) {
      refused[String(o.status)] = (refused[String(o.status)] ?? 0) + 1;
      if (count(o.subject) > 0) sentAnyway++;
      continue;
    }
    const task = tasks.get(o.taskId);
    if (count(o.subject) > 0) applied++;
    if (!task) lost++;
    else if (!final(task)) stuck++;
    else if (task.status === "succeeded" && count(o.subject) === 0) lost++;
    else if (task.status === "failed") {
      const code = task.error?.code ?? "?";
      failed[code] = (failed[code] ?? 0) + 1;
    }
  }
  const duplicated = outcomes.reduce((n, o) => n + Math.max(0, count(o.subject) - 1), 0);
  const figures: Figures = {
    scenario,
    fault,
    sent: outcomes.length,
    accepted: accepted.length,
    refused,
    applied,
    failed,
    duplicated,
    lost,
    stuck,
    sentAnyway,
    seconds: Math.round((Date.now() - startedAt) / 100) / 10,
  };
  record(figures);
  return figures;
}

const list = (counts: Readonly<Record<string, number>>) =>
  Object.entries(counts)
    .map(([k, n]) => `${n}× ${k}`)
    .join(", ") || "—";

function record(figures: Figures): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${figures.scenario.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.json`;
  writeFileSync(join(RESULTS_DIR, file), `${JSON.stringify(figures)}\n`);
  console.log(
    `[faults] ${figures.scenario}: sent ${figures.sent}, accepted ${figures.accepted}, applied ${figures.applied}, ` +
      `failed ${list(figures.failed)}, duplicated ${figures.duplicated}, lost ${figures.lost}, stuck ${figures.stuck}`,
  );
}

/** Rewrites the markdown report from every scenario's latest figures. */
export function writeReport(): void {
  let files: string[] = [];
  try {
    files = readdirSync(RESULTS_DIR).filter((f) => f.endsWith(".json"));
  } catch {
    return;
  }
  const rows = files
    .map((f) => JSON.parse(readFileSync(join(RESULTS_DIR, f), "utf8")) as Figures)
    .sort((a, b) => a.scenario.localeCompare(b.scenario))
    .map(
      (f) =>
        `| ${f.scenario} | ${f.fault} | ${f.sent} | ${f.accepted} | ${list(f.refused)} | ${f.applied} | ` +
        `${list(f.failed)} | ${f.duplicated} | **${f.lost}** | **${f.stuck}** | ${f.sentAnyway} | ${f.seconds} |`,
    );
  const document = `# Fault report

Written by the fault suite (\`npx vitest run test/faults\`, test/faults/*.test.ts): each scenario sends
emails through the local runtime while one fault acts, then waits for every accepted request's task
to be final and counts. \`lost\` and \`stuck\` must be 0 (the tests fail otherwise); \`duplicated\` too.
Regenerate with \`FERRY_FAULT_REPORT=docs/fault-report.md npx vitest run test/faults\`.

- **accepted**: answered 202; **refused**: the other answers, by status (0 = no answer).
- **applied**: accepted and the email reached SES; **failed**: accepted, and the task ended
  \`failed\` with that code (final and explained, never silent).
- **duplicated**: extra copies SES received; **lost**: accepted with no task, or \`succeeded\` with no
  email; **stuck**: accepted and not final when the suite stopped waiting.
- **sent anyway**: refused (503) although the email was queued and went out, as the README says a
  503 may mean.

| scenario | fault | sent | accepted | refused | applied | failed | duplicated | lost | stuck | sent anyway | s |
|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}
`;
  mkdirSync(dirname(REPORT), { recursive: true });
  writeFileSync(REPORT, document);
}
