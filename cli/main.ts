/**
 * `ferry`: the API from a terminal, on the typed client (client/).
 *
 *   ferry send --to a@example.com [--to …] --subject S (--text T | --html H) [--watch] [--json]
 *   ferry tasks list [--status S] [--limit N]      ferry tasks get <taskId> [--watch]
 *   ferry payments list [--provider P] [--status S] [--limit N]
 *   ferry payments get <provider> <paymentId>
 *   ferry webhooks trigger <stripe|razorpay|payu> <event> [--payment-id ID] [--email E]
 *                          [--duplicate N] [--shuffle] [--stale]
 *   ferry webhooks samples [provider]
 * Global: --base-url URL, --api-key KEY (see config.ts), --json (one JSON document per line).
 *
 * Exit codes: 0 done (a watched task succeeded); 1 a watched task failed; 2 a usage error;
 * 3 the API refused (the problem is printed on stderr).
 */
import { parseArgs } from "node:util";
import { FerryClient, FerryError, RealtimeError, type Task } from "#client/index.ts";
import {
  buildDelivery,
  type Delivery,
  newPaymentId,
  PROVIDERS,
  type Provider,
  sampleEvents,
  shuffled,
} from "#infra/local/webhooks/sample-deliveries.ts";
import { resolveTarget, UsageError } from "./config.ts";

const OPTIONS = {
  "base-url": { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean", default: false },
  to: { type: "string", multiple: true },
  subject: { type: "string" },
  text: { type: "string" },
  html: { type: "string" },
  watch: { type: "boolean", default: false },
  status: { type: "string" },
  provider: { type: "string" },
  limit: { type: "string" },
  cursor: { type: "string" },
  "payment-id": { type: "string" },
  email: { type: "string" },
  duplicate: { type: "string" },
  shuffle: { type: "boolean", default: false },
  stale: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

const USAGE = `usage: ferry <command> [options]
  send --to ADDRESS [--to …] --subject S (--text T | --html H) [--watch] [--json]
  tasks list [--status S] [--limit N] [--cursor C]  |  tasks get TASK_ID [--watch]
  payments list [--provider P] [--status S] [--limit N]  |  payments get PROVIDER PAYMENT_ID
  webhooks trigger (stripe|razorpay|payu) EVENT [--payment-id ID] [--email E] [--duplicate N] [--shuffle] [--stale]
  webhooks samples [PROVIDER]
options: --base-url URL (FERRY_API_URL)  --api-key KEY (FERRY_API_KEY)  --json
default: the running \`npm run dev\` (.ferry/local.json) and its dev key`;

/** One line per state: plain words for people and pipes, or the task as JSON with --json. */
function taskLine(task: Task, json: boolean): string {
  if (json) return JSON.stringify(task);
  const parts = [task.updatedAt, task.id, task.status, `attempt=${task.attempts}`, `v${task.version}`];
  if (task.error) parts.push(`${task.error.code}: ${task.error.message}`);
  if (task.nextAttemptAt) parts.push(`next=${task.nextAttemptAt}`);
  if (task.result) parts.push(`messageId=${task.result.messageId}`);
  // SES's events bump the version without a new status: the per-recipient states tell such a
  // line from the one before it.
  const delivery = Object.entries(task.delivery ?? {});
  if (delivery.length > 0) parts.push(`delivery=${delivery.map(([to, d]) => `${to}:${d.state}`).join(",")}`);
  return parts.join(" ");
}

async function watch(client: FerryClient, taskId: string, json: boolean, io: CliIo): Promise<number> {
  let last: Task | undefined;
  for await (const task of client.watchTask(taskId)) {
    io.out(taskLine(task, json));
    last = task;
  }
  return last?.status === "succeeded" ? 0 : 1;
}

const positiveInt = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`--${name} takes a positive whole number`);
  return Number(value);
};

async function send(client: FerryClient, values: Values, io: CliIo): Promise<number> {
  if (!values.to?.length || !values.subject || (!values.text && !values.html)) {
    throw new UsageError("send needs --to, --subject and --text or --html");
  }
  const accepted = await client.sendEmail({
    to: values.to.length === 1 ? (values.to[0] as string) : values.to,
    subject: values.subject,
    ...(values.text ? { text: values.text } : {}),
    ...(values.html ? { html: values.html } : {}),
  });
  if (!values.watch) {
    io.out(values.json ? JSON.stringify(accepted) : `${accepted.taskId} ${accepted.status}`);
    return 0;
  }
  return watch(client, accepted.taskId, values.json ?? false, io);
}

async function tasks(client: FerryClient, [sub, id]: string[], values: Values, io: CliIo): Promise<number> {
  if (sub === "get" && id) {
    if (values.watch) return watch(client, id, values.json ?? false, io);
    const task = await client.getTask(id);
    io.out(values.json ? JSON.stringify(task) : taskLine(task, false));
    return 0;
  }
  if (sub === "list" || sub === undefined) {
    const page = await client.listTasks({
      ...(values.status ? { status: values.status as Task["status"] } : {}),
      ...(values.limit ? { limit: positiveInt(values.limit, "limit") } : {}),
      ...(values.cursor ? { cursor: values.cursor } : {}),
    });
    if (values.json) io.out(JSON.stringify(page));
    else {
      for (const task of page.items) io.out(taskLine(task, false));
      if (page.nextCursor) io.out(`more: --cursor ${page.nextCursor}`);
    }
    return 0;
  }
  throw new UsageError("tasks list | tasks get TASK_ID");
}

async function payments(
  client: FerryClient,
  [sub, provider, id]: string[],
  values: Values,
  io: CliIo,
): Promise<number> {
  if (sub === "get" && provider && id) {
    const payment = await client.getPayment(provider as Provider, id);
    io.out(
      values.json
        ? JSON.stringify(payment)
        : `${payment.provider} ${payment.paymentId} ${payment.status} ${payment.amount} ${payment.currency}${payment.receipt ? ` receipt=${payment.receipt.taskId}` : ""}`,
    );
    return 0;
  }
  if (sub === "list" || sub === undefined) {
    const page = await client.listPayments({
      ...(values.provider ? { provider: values.provider as Provider } : {}),
      ...(values.status ? { status: values.status as never } : {}),
      ...(values.limit ? { limit: positiveInt(values.limit, "limit") } : {}),
      ...(values.cursor ? { cursor: values.cursor } : {}),
    });
    if (values.json) io.out(JSON.stringify(page));
    else {
      for (const p of page.items)
        io.out(`${p.provider} ${p.paymentId} ${p.status} ${p.amount} ${p.currency}`);
      if (page.nextCursor) io.out(`more: --cursor ${page.nextCursor}`);
    }
    return 0;
  }
  throw new UsageError("payments list | payments get PROVIDER PAYMENT_ID");
}

/** Stripe refuses a signature older than 5 minutes; --stale signs one from an hour ago. */
const STALE_SECONDS = 3600;

async function webhooks(positionals: string[], values: Values, io: CliIo): Promise<number> {
  const [sub, provider, event] = positionals;
  if (sub === "samples") {
    for (const p of provider ? [provider as Provider] : PROVIDERS)
      io.out(`${p}: ${sampleEvents(p).join(" ")}`);
    return 0;
  }
  if (
    sub !== "trigger" ||
    !provider ||
    !(PROVIDERS as readonly string[]).includes(provider) ||
    (!event && !values.shuffle)
  ) {
    throw new UsageError(
      "webhooks trigger (stripe|razorpay|payu) EVENT [--duplicate N] [--shuffle] [--stale]",
    );
  }
  const p = provider as Provider;
  if (event && !values.shuffle && !sampleEvents(p).includes(event)) {
    throw new UsageError(`No ${p} sample "${event}"; there are: ${sampleEvents(p).join(", ")}.`);
  }
  const target = resolveTarget({ baseUrl: values["base-url"], apiKey: values["api-key"] }, io.env);
  const paymentId = values["payment-id"] ?? newPaymentId(p);
  const copies = positiveInt(values.duplicate, "duplicate") ?? 1;
  const now = Math.floor(Date.now() / 1000) - (values.stale ? STALE_SECONDS : 0);
  // --shuffle: the payment's whole sequence (every sample of the provider), in a random order.
  const events = values.shuffle ? shuffled(sampleEvents(p)) : [event as string];
  const deliveries: Delivery[] = events.map((e, i) =>
    buildDelivery(p, e, target.secrets, {
      paymentId,
      email: values.email,
      now: now + (values.shuffle ? i : 0),
    }),
  );
  let refused = 0;
  for (const delivery of deliveries) {
    // Duplicates are byte-identical copies: the same event, redelivered.
    for (let n = 0; n < copies; n++) {
      const res = await fetch(`${target.baseUrl}${delivery.path}`, {
        method: "POST",
        headers: delivery.headers,
        body: delivery.body,
      });
      const text = await res.text();
      if (!res.ok) refused++;
      io.out(
        values.json
          ? JSON.stringify({
              provider: p,
              event: delivery.event,
              paymentId,
              status: res.status,
              body: safeJson(text),
            })
          : `${p} ${delivery.event} ${paymentId} → ${res.status}${res.ok ? "" : ` ${text}`}`,
      );
    }
  }
  return refused > 0 ? 3 : 0;
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    const [command, ...rest] = positionals;
    if (values.help || !command) {
      io.out(USAGE);
      return command || values.help ? 0 : 2;
    }
    if (command === "webhooks") return await webhooks(rest, values, io);
    const target = resolveTarget({ baseUrl: values["base-url"], apiKey: values["api-key"] }, io.env);
    const client = new FerryClient({ baseUrl: target.baseUrl, apiKey: target.apiKey });
    if (command === "send") return await send(client, values, io);
    if (command === "tasks") return await tasks(client, rest, values, io);
    if (command === "payments") return await payments(client, rest, values, io);
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      io.err(`ferry: ${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof FerryError) {
      io.err(
        `ferry: ${error.message}${error.problem.errors ? ` ${JSON.stringify(error.problem.errors)}` : ""}`,
      );
      return 3;
    }
    if (error instanceof TypeError && error.message === "fetch failed") {
      io.err(
        `ferry: cannot reach the API (${String((error.cause as Error | undefined)?.message ?? error.cause)})`,
      );
      return 3;
    }
    if (error instanceof RealtimeError) {
      io.err(`ferry: ${error.message}`);
      return 3;
    }
    throw error;
  }
}
