/**
 * WebSocket clients for the pipeline benchmark, in a child process of their own so that holding
 * thousands of them neither competes with the local gateway for its event loop nor counts in its
 * memory. Driven over IPC by bench/pipeline-swarm.ts:
 *   {id, type:"open", urls, concurrency}      → opens every url; answers {id, type:"opened", count}
 *   {id, type:"subscribe", pairs:[[conn, taskId]]} → subscribes; answers {id, type:"subscribed"}
 *                                              once each got its `subscribed` reply
 * (a failure answers {id, type:"error", message})
 *   {type:"close"}                           → closes everything and exits
 * Every `task.updated` whose status is terminal is reported as {type:"final", conn, taskId,
 * status, updatedAt, at}, `at` being this process's wall clock in ms with sub-ms precision
 * (performance.timeOrigin + performance.now(), comparable with the parent's).
 * It exits by itself when its parent goes away.
 */
import { WebSocket } from "ws";

type Command = { id: number } & (
  | { type: "open"; urls: string[]; concurrency: number }
  | { type: "subscribe"; pairs: [number, string][] }
  | { type: "close" }
);

const sockets: WebSocket[] = [];
/** Resolves with the error code when the subscribe was refused. */
const pendingSubscribes = new Map<string, (error?: string) => void>();
let unexpected = 0;
const now = () => performance.timeOrigin + performance.now();
const reply = (message: unknown) => process.send?.(message);

function open(url: string, index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString()) as {
        type: string;
        taskId?: string;
        task?: { id: string; status: string; updatedAt: string };
        error?: { code: string };
      };
      // An internal_error names no task; the benchmark keeps one subscribe in flight per socket,
      // so it is that one's.
      const pendingKey = message.taskId
        ? `${index}:${message.taskId}`
        : [...pendingSubscribes.keys()].find((k) => k.startsWith(`${index}:`));
      if ((message.type === "subscribed" || message.type === "error") && pendingKey) {
        pendingSubscribes.get(pendingKey)?.(message.error?.code);
        pendingSubscribes.delete(pendingKey);
      } else if (message.type !== "task.updated" && message.type !== "pong" && unexpected++ < 5) {
        process.stderr.write(`  ws swarm: unexpected frame ${data.toString().slice(0, 200)}\n`);
      } else if (
        message.type === "task.updated" &&
        message.task &&
        (message.task.status === "succeeded" || message.task.status === "failed")
      ) {
        reply({
          type: "final",
          conn: index,
          taskId: message.task.id,
          status: message.task.status,
          updatedAt: message.task.updatedAt,
          at: now(),
        });
      }
    });
    socket.once("open", () => resolve());
    socket.once("error", reject);
    socket.once("unexpected-response", (_req, res) =>
      reject(new Error(`upgrade refused: ${res.statusCode}`)),
    );
    sockets[index] = socket;
  });
}

async function openAll(id: number, urls: string[], concurrency: number): Promise<void> {
  const base = sockets.length;
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const i = next++;
      await open(urls[i] as string, base + i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, urls.length) }, worker));
  reply({ type: "opened", id, count: sockets.length });
}

const subscribeOnce = (conn: number, taskId: string) =>
  new Promise<string | undefined>((resolve) => {
    pendingSubscribes.set(`${conn}:${taskId}`, resolve);
    sockets[conn]?.send(JSON.stringify({ action: "subscribe", taskId }));
  });

/** `internal_error` (the handler ran out of time on a loaded machine) is retried, 5 times at most. */
async function subscribeAll(id: number, pairs: [number, string][]): Promise<void> {
  let todo = pairs;
  let refused: string[] = [];
  for (let attempt = 0; attempt < 6 && todo.length > 0; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 200 * attempt));
    const codes = await Promise.all(todo.map(([conn, taskId]) => subscribeOnce(conn, taskId)));
    refused = codes.filter((c) => c !== undefined) as string[];
    todo = todo.filter((_, i) => codes[i] === "internal_error");
  }
  if (refused.length > 0)
    reply({ type: "error", id, message: `${refused.length} subscribes refused: ${refused[0]}` });
  else reply({ type: "subscribed", id });
}

process.on("message", (command: Command) => {
  const run = async () => {
    if (command.type === "open") await openAll(command.id, command.urls, command.concurrency);
    else if (command.type === "subscribe") await subscribeAll(command.id, command.pairs);
    else {
      for (const socket of sockets) socket?.terminate();
      process.exit(0);
    }
  };
  run().catch((error: unknown) => {
    reply({ type: "error", id: command.id, message: String((error as Error)?.message ?? error) });
  });
});
process.on("disconnect", () => process.exit(0));
// Progress for long openings, on stderr (the parent's).
setInterval(() => {
  if (sockets.length > 0) process.stderr.write(`  ws swarm: ${sockets.length} sockets\n`);
}, 10_000).unref();
