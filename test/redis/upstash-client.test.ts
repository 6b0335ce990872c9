/**
 * Ferry's Upstash REST client (shared/redis/client.ts, upstash-rest.ts) against the local Upstash
 * proxy and a real redis-server: replies in Redis's own shapes, pipelines, transactions, scripts
 * by SHA with the NOSCRIPT fallback, auto-pipelining of same-tick calls into one request; and,
 * against small HTTP servers that misbehave, that nothing is ever sent twice, that a request is
 * aborted at its budget, and which failures are Upstash's answers and which are the transport's.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { startUpstashProxy, type UpstashProxy } from "#infra/local/upstash/upstash-proxy.ts";
import { createRedisClient, type RedisClient, UpstashError } from "#shared/redis/client.ts";
import { closeNow, listenOnLoopback } from "#test/support/loopback-server.ts";
import { closedPort } from "#test/support/silent-server.ts";

let proxy: UpstashProxy;
let redis: RedisClient;
const prefix = `test:upstash-client:${randomUUID()}:`;
const key = (name: string) => `${prefix}${name}`;

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: inject("redisUrl"), token: randomUUID(), latencyMs: 0 });
  redis = createRedisClient({ url: proxy.url, token: proxy.token, timeoutMs: 5000 });
});
afterAll(() => proxy?.close());

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await closeNow(server);
});

/** An HTTP server of the test's own; resolves with its URL. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  servers.push(server);
  return `http://127.0.0.1:${await listenOnLoopback(server)}`;
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

describe("Upstash client: replies", () => {
  it("round-trips UTF-8 text, answers nil as null and integers as numbers", async () => {
    const text = 'héllo 🌍 世界 — ñ \u0000 "quoted" OK';

    await redis.set(key("text"), text);

    expect(await redis.get(key("text"))).toBe(text);
    expect(await redis.get(key("missing"))).toBeNull();
    expect(await redis.exists(key("text"), key("missing"))).toBe(1);
    expect(await redis.del(key("text"))).toBe(1);
  });

  it("returns a stored OK as OK, and null when SET NX finds the key", async () => {
    expect(await redis.set(key("ok"), "OK", { nx: true, ex: 60 })).toBe("OK");
    expect(await redis.set(key("ok"), "other", { nx: true, ex: 60 })).toBeNull();
    expect(await redis.get(key("ok"))).toBe("OK");
    expect(Number(await redis.command(["ttl", key("ok")]))).toBeGreaterThan(50);
  });

  it("answers hashes and sets in Redis's shapes", async () => {
    const hash = key("hash");
    const set = key("set");

    expect(await redis.hset(hash, { a: "1", b: "zwei ü" })).toBe(2);
    await redis.sadd(set, "x", "y");

    expect(await redis.hgetall(hash)).toEqual(["a", "1", "b", "zwei ü"]);
    expect(await redis.hgetall(key("no-hash"))).toEqual([]);
    expect(await redis.hmget(hash, "b", "nope")).toEqual(["zwei ü", null]);
    expect(await redis.hget(hash, "a")).toBe("1");
    expect(await redis.hdel(hash, "a", "nope")).toBe(1);
    expect((await redis.smembers(set)).sort()).toEqual(["x", "y"]);
    expect(await redis.srem(set, "x")).toBe(1);
    expect(await redis.ping()).toBe("PONG");
  });

  it("scans with a pattern, the cursor a string", async () => {
    await redis.set(key("scan:1"), "v");
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, { match: `${prefix}scan:*`, count: 1000 });
      expect(typeof next).toBe("string");
      cursor = next;
      found.push(...keys);
    } while (cursor !== "0");

    expect(found).toEqual([key("scan:1")]);
  });

  it("returns a script's nested table with integers, strings and nil (false) in place", async () => {
    const reply = await redis.eval("return {1, ARGV[1], {KEYS[1], 2, {'OK'}}, false}", [key("k")], ["é"]);

    expect(reply).toEqual([1, "é", [key("k"), 2, ["OK"]], null]);
  });
});

describe("Upstash client: pipelines, transactions, scripts", () => {
  it("runs a transaction and a pipeline as one request each, results in order", async () => {
    const before = proxy.stats().requests;
    const tx = await redis
      .multi()
      .set(key("tx"), "v", { ex: 60 })
      .sadd(key("tx-set"), "m")
      .expire(key("tx-set"), 60)
      .get(key("tx"))
      .smembers(key("tx-set"))
      .exec();
    const pipe = await redis.pipeline().srem(key("tx-set"), "m").del(key("tx"), key("tx-set")).exec();

    expect(proxy.stats().requests - before).toBe(2);
    expect(tx).toEqual(["OK", 1, 1, "v", ["m"]]);
    expect(pipe).toEqual([1, 1]);
  });

  it("rejects a transaction Redis discards, and names the failing command of a pipeline", async () => {
    await redis.set(key("string"), "s");

    const aborted = await failureOf(redis.multi().set(key("never"), "x").command(["nosuchcommand"]).exec());
    const wrongType = await failureOf(redis.pipeline().get(key("string")).smembers(key("string")).exec());

    expect(aborted).toBeInstanceOf(UpstashError);
    expect(aborted?.message).toMatch(/EXECABORT/);
    expect((aborted as UpstashError).status).toBe(400);
    expect(await redis.get(key("never"))).toBeNull();
    expect(wrongType?.message).toMatch(/Command 2 \[ smembers \] failed: WRONGTYPE/);
  });

  it("runs a script by SHA, and after Redis forgot it, once through EVAL: nothing runs twice", async () => {
    const source = `return redis.call('INCR', KEYS[1]) -- ${randomUUID()}`;
    const script = redis.createScript(source);
    const counter = key("script");

    const first = await script.exec([counter], []);
    await redis.command(["script", "flush"]);
    const second = await script.exec([counter], []);
    const third = await script.exec([counter], []);

    expect([first, second, third]).toEqual([1, 2, 3]);
    expect(await redis.command(["script", "exists", script.sha])).toEqual([1]);
    const noScript = await failureOf(redis.evalsha("0".repeat(40), [], []));
    expect(noScript).toBeInstanceOf(UpstashError);
    expect(noScript?.message).toMatch(/^NOSCRIPT/);
  });
});

describe("Upstash client: auto-pipelining", () => {
  it("sends the calls of one tick as one /pipeline request, an error rejecting only its own call", async () => {
    // Prepare: a server that answers like Upstash and records what it was sent.
    const bodies: { path: string | undefined; body: unknown }[] = [];
    const url = await serve((req, res) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => {
        raw += chunk.toString();
      });
      req.on("end", () => {
        const body = JSON.parse(raw) as unknown[];
        bodies.push({ path: req.url, body });
        const b64 = (s: string) => Buffer.from(s).toString("base64");
        const outcomes = body.map((_, i) => (i === 1 ? { error: "WRONGTYPE no" } : { result: b64(`r${i}`) }));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(outcomes));
      });
    });
    const client = createRedisClient({ url, token: "t", timeoutMs: 2000 });

    // Act
    const results = await Promise.allSettled([
      client.get("a"),
      client.hget("h", "f"),
      client.evalsha("s", ["k"], ["1"]),
    ]);
    const later = await client.get("b");

    // Assess
    expect(bodies).toEqual([
      {
        path: "/pipeline",
        body: [
          ["get", "a"],
          ["hget", "h", "f"],
          ["evalsha", "s", 1, "k", "1"],
        ],
      },
      { path: "/pipeline", body: [["get", "b"]] },
    ]);
    expect(results[0]).toEqual({ status: "fulfilled", value: "r0" });
    expect(results[1]).toMatchObject({
      status: "rejected",
      reason: { name: "UpstashError", message: "WRONGTYPE no" },
    });
    expect(results[2]).toEqual({ status: "fulfilled", value: "r2" });
    expect(later).toBe("r0");
  });

  it("batches concurrent calls through the real proxy too", async () => {
    // Prepare
    const before = proxy.stats();

    // Act
    const replies = await Promise.all(
      Array.from({ length: 32 }, (_, i) => redis.set(key(`auto:${i}`), `${i}`)),
    );

    // Assess
    expect(replies.every((r) => r === "OK")).toBe(true);
    expect(proxy.stats().requests - before.requests).toBe(1);
    expect(proxy.stats().commands - before.commands).toBe(32);
  });
});

describe("Upstash client: failures", () => {
  it("never resends a request whose connection dropped after it was sent", async () => {
    // Prepare: the server reads the whole request (it may have run it), then drops the connection.
    let requests = 0;
    const url = await serve((req) => {
      requests++;
      req.resume();
      req.once("end", () => req.socket.destroy());
    });
    const client = createRedisClient({ url, token: "t", timeoutMs: 2000 });

    // Act
    const error = await failureOf(client.evalsha("0".repeat(40), ["k"], []));

    // Assess: the transport's error, as fetch reports it; one request only.
    expect(error).toBeInstanceOf(TypeError);
    expect(error?.message).toBe("fetch failed");
    expect(error).not.toBeInstanceOf(UpstashError);
    expect(requests).toBe(1);
  });

  it("aborts a request at its budget, and the next one gets a budget of its own", async () => {
    // Prepare: a server that never answers.
    let requests = 0;
    const url = await serve((req) => {
      requests++;
      req.resume();
    });
    const client = createRedisClient({ url, token: "t", timeoutMs: 150 });

    // Act
    const started = performance.now();
    const first = await failureOf(client.get("k"));
    const second = await failureOf(client.get("k"));
    const elapsedMs = performance.now() - started;

    // Assess
    expect(first?.name).toBe("TimeoutError");
    expect(second?.name).toBe("TimeoutError");
    expect(requests).toBe(2);
    expect(elapsedMs).toBeLessThan(5000);
  });

  it("tells Upstash's refusals (UpstashError with the status) from a refused connection", async () => {
    // Prepare
    let status = 401;
    let body = JSON.stringify({ error: "Unauthorized" });
    const url = await serve((req, res) => {
      req.resume();
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body);
    });
    const client = createRedisClient({ url, token: "wrong", timeoutMs: 2000 });
    const refused = createRedisClient({
      url: `http://127.0.0.1:${await closedPort()}`,
      token: "t",
      timeoutMs: 2000,
    });

    // Act
    const unauthorized = await failureOf(client.get("k"));
    status = 503;
    body = JSON.stringify({ error: "ERR service unavailable" });
    const unavailable = await failureOf(client.multi().get("k").exec());
    status = 502;
    body = "<html>Bad gateway</html>";
    const notJson = await failureOf(client.get("k"));
    const noConnection = await failureOf(refused.get("k"));

    // Assess
    expect(unauthorized).toMatchObject({ name: "UpstashError", message: "Unauthorized", status: 401 });
    expect(unavailable).toMatchObject({
      name: "UpstashError",
      message: "ERR service unavailable",
      status: 503,
    });
    expect(notJson).toMatchObject({ name: "UpstashError", status: 502 });
    expect(notJson?.message).toMatch(/not JSON/);
    expect(noConnection).toBeInstanceOf(TypeError);
    expect(noConnection?.message).toBe("fetch failed");
  });

  it("is refused by the proxy with a wrong token, and never echoes the command in its error", async () => {
    const intruder = createRedisClient({ url: proxy.url, token: "wrong-token", timeoutMs: 2000 });

    const error = await failureOf(intruder.set(key("secret"), "customer@example.com"));

    expect(error).toMatchObject({ name: "UpstashError", status: 401 });
    expect(error?.message).not.toContain("customer@example.com");
  });
});

describe("Upstash client: wire", () => {
  it("sends the token, asks for base64, and carries Upstash's read-your-writes token forward", async () => {
    // Prepare
    const seen: IncomingMessage["headers"][] = [];
    const url = await serve((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.writeHead(200, { "content-type": "application/json", "upstash-sync-token": `sync-${seen.length}` });
      res.end(JSON.stringify([{ result: "OK" }]));
    });
    const client = createRedisClient({ url: `${url}/`, token: "secret-token", timeoutMs: 2000 });

    // Act
    await client.set("k", "v");
    await client.set("k", "v");

    // Assess
    expect(seen[0]).toMatchObject({ authorization: "Bearer secret-token", "upstash-encoding": "base64" });
    expect(seen[0]?.["upstash-sync-token"]).toBeUndefined();
    expect(seen[1]?.["upstash-sync-token"]).toBe("sync-1");
  });

  it("keeps the last read-your-writes token across an answer that carries none", async () => {
    // Prepare: the second answer is an error page without a token (a proxy's 503)
    const seen: IncomingMessage["headers"][] = [];
    const url = await serve((req, res) => {
      seen.push(req.headers);
      req.resume();
      if (seen.length === 2) {
        res.writeHead(503, { "content-type": "text/plain" });
        res.end("unavailable");
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "upstash-sync-token": `sync-${seen.length}` });
      res.end(JSON.stringify([{ result: "OK" }]));
    });
    const client = createRedisClient({ url: `${url}/`, token: "secret-token", timeoutMs: 2000 });

    // Act
    await client.set("k", "v");
    await failureOf(client.set("k", "v"));
    await client.set("k", "v");

    // Assess
    expect(seen[2]?.["upstash-sync-token"]).toBe("sync-1");
  });
});
