import { randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis";
import IORedis from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startPrivateRedis } from "#infra/local/process/redis-server.ts";
import { startUpstashProxy, type UpstashProxy } from "#infra/local/upstash/upstash-proxy.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";

const token = `test-token-${randomUUID()}`;
const prefix = `upstash-proxy-test:${randomUUID()}:`;
const key = (name: string) => `${prefix}${name}`;

let proxy: UpstashProxy;
/** The project's client: retries off, no automatic deserialization. */
let client: RedisClient;
/** @upstash/redis as its README shows it: base64 responses, auto-pipelining, deserialization. */
let plain: Redis;
/** A direct connection to the same Redis, to prepare and check data behind the proxy's back. */
let direct: IORedis;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${proxy.url}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "upstash-encoding": "base64",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

const b64 = (text: string) => Buffer.from(text).toString("base64");

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: inject("redisUrl"), token });
  client = createRedisClient({ url: proxy.url, token, timeoutMs: 5000 });
  plain = new Redis({ url: proxy.url, token });
  direct = new IORedis(inject("redisUrl"));
});

afterAll(async () => {
  await proxy?.close();
  direct?.disconnect();
});

describe("Upstash proxy: served to @upstash/redis", () => {
  it("listens on loopback and hands back the token it checks", () => {
    expect(new URL(proxy.url).hostname).toBe("127.0.0.1");
    expect(proxy.token).toBe(token);
  });

  it("round-trips unicode text between both clients", async () => {
    const text = "héllo 🌍 世界 — ñ";

    await client.set(key("unicode"), text);

    expect(await plain.get(key("unicode"))).toBe(text);
    expect(await client.get(key("unicode"))).toBe(text);
  });

  it("round-trips control characters and non-ASCII code points byte for byte", async () => {
    const text = '\u0000\u0001\u007f\u0080\u00ff\uFFFD\n\t"\\ OK';

    await client.set(key("binaryish"), text);

    expect(await client.get(key("binaryish"))).toBe(text);
    expect(Buffer.from((await direct.getBuffer(key("binaryish"))) ?? [])).toEqual(Buffer.from(text));
  });

  it("returns a stored value that is literally OK as OK", async () => {
    await client.set(key("ok-value"), "OK");

    expect(await client.get(key("ok-value"))).toBe("OK");
    expect(await client.command(["mget", key("ok-value"), key("missing")])).toEqual(["OK", null]);
  });

  it("answers integers as numbers and missing values as null", async () => {
    const counter = key("counter");

    const first = await client.command(["incr", counter]);
    const second = await client.command(["incrby", counter, 41]);

    expect(first).toBe(1);
    expect(second).toBe(42);
    expect(await plain.get<number>(counter)).toBe(42);
    expect(await client.get(key("never-set"))).toBeNull();
    expect(await client.hget(key("never-set-hash"), "field")).toBeNull();
  });

  it("serves hashes and lists", async () => {
    const hash = key("hash");
    const list = key("list");

    const added = await client.hset(hash, { a: "1", b: "two" });
    await client.command(["rpush", list, "x", "y", "z"]);

    expect(added).toBe(2);
    // With automaticDeserialization off, @upstash/redis hands back Redis's flat field/value array.
    expect(await client.hgetall(hash)).toEqual(["a", "1", "b", "two"]);
    expect(await plain.hgetall(hash)).toEqual({ a: 1, b: "two" });
    expect(await client.command(["lrange", list, 0, -1])).toEqual(["x", "y", "z"]);
    expect(await client.command(["lpop", list])).toBe("x");
  });

  it("runs an explicit pipeline in order, with an error left in its own slot", async () => {
    const text = key("pipe-text");

    const results = await plain.pipeline().set(text, "v").incr(text).get(text).exec({ keepErrors: true });

    expect(results.map((r) => r.result)).toEqual(["OK", undefined, "v"]);
    expect(results[1]?.error).toMatch(/^ERR value is not an integer/);
  });

  it("serves auto-pipelined concurrent calls from one /pipeline request", async () => {
    const before = (plain as unknown as { pipelineCounter: number }).pipelineCounter;

    const results = await Promise.all([
      plain.set(key("auto-1"), "a"),
      plain.incr(key("auto-2")),
      plain.rpush(key("auto-3"), "p", "q"),
      plain.hset(key("auto-4"), { f: "g" }),
    ]);

    expect(results).toEqual(["OK", 1, 2, 1]);
    expect((plain as unknown as { pipelineCounter: number }).pipelineCounter).toBe(before + 1);
  });

  it("runs a transaction and returns every result", async () => {
    const text = key("tx-text");
    const counter = key("tx-counter");

    const results = await client.multi().set(text, "in-tx").command(["incr", counter]).get(text).exec();

    expect(results).toEqual(["OK", 1, "in-tx"]);
  });

  it("reports a command failing inside a transaction with Redis's error text", async () => {
    const text = key("tx-wrongtype");
    await client.set(text, "string");

    const run = client
      .multi()
      .command(["incr", key("tx-other")])
      .hget(text, "field")
      .exec();

    await expect(run).rejects.toThrow(/WRONGTYPE Operation against a key holding the wrong kind of value/);
    expect(await client.get(key("tx-other"))).toBe("1");
  });

  it("evaluates a script returning nested arrays, integers and nil", async () => {
    const script = "return {1, ARGV[1], {KEYS[1], 2, {ARGV[2]}}, false, 'OK'}";

    const result = await client.eval(script, [key("eval")], ["first", "deep"]);

    expect(result).toEqual([1, "first", [key("eval"), 2, ["deep"]], null, "OK"]);
  });

  it("falls back from EVALSHA to EVAL on NOSCRIPT, then the script is cached", async () => {
    const body = `return redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${randomUUID()}`;
    const script = client.createScript(body);
    const counter = key("script-counter");

    const first = await script.exec([counter], ["5"]);
    const second = await script.exec([counter], ["5"]);

    expect(first).toBe(5);
    expect(second).toBe(10);
    expect(await client.command(["script", "exists", script.sha])).toEqual([1]);
  });

  it("keeps Redis's NOSCRIPT text so callers can recognise it", async () => {
    const unknownSha = "0".repeat(40);

    await expect(client.evalsha(unknownSha, [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it("keeps Redis's error text for a command on the wrong type", async () => {
    await client.set(key("wrongtype"), "string");

    await expect(client.hget(key("wrongtype"), "f")).rejects.toThrow(
      /WRONGTYPE Operation against a key holding the wrong kind of value/,
    );
  });

  it("rejects a client holding the wrong token", async () => {
    const intruder = new Redis({ url: proxy.url, token: "wrong-token", retry: false });

    await expect(intruder.get(key("anything"))).rejects.toThrow(/Unauthorized/);
  });

  it("stores and returns a multi-megabyte value", async () => {
    const big = "x".repeat(5 * 1024 * 1024);

    await client.set(key("big"), big);

    expect(await client.command(["strlen", key("big")])).toBe(big.length);
    expect(await client.get(key("big"))).toBe(big);
  });
});

describe("Upstash proxy: wire format", () => {
  it("sends a top-level OK raw and every other string as base64", async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x41, 0xfe]);
    await direct.set(key("raw-bytes"), bytes);

    const set = await post("/", ["SET", key("raw-ok"), "value"]);
    const get = await post("/", ["GET", key("raw-bytes")]);

    expect(set).toEqual({ status: 200, body: { result: "OK" } });
    expect(get).toEqual({ status: 200, body: { result: bytes.toString("base64") } });
  });

  it("encodes OK inside arrays, keeps integers and nil, and nests arrays", async () => {
    await direct.set(key("raw-ok-value"), "OK");

    const mget = await post("/", ["MGET", key("raw-ok-value"), key("raw-none")]);
    const evaluated = await post("/", ["EVAL", "return {7, {'a', false}, 'OK'}", 0]);

    expect(mget.body).toEqual({ result: [b64("OK"), null] });
    expect(evaluated.body).toEqual({ result: [7, [b64("a"), null], b64("OK")] });
  });

  it("sends plain strings when base64 encoding is not asked for", async () => {
    await direct.set(key("raw-plain"), "héllo");

    const get = await post("/", ["GET", key("raw-plain")], { "upstash-encoding": "" });

    expect(get.body).toEqual({ result: "héllo" });
  });

  it("turns numeric arguments into Redis strings", async () => {
    const incr = await post("/", ["INCRBY", key("raw-num"), 7]);

    expect(incr.body).toEqual({ result: 7 });
  });

  it("answers a failing command with 400 and Redis's error", async () => {
    await direct.set(key("raw-wrongtype"), "s");

    const res = await post("/", ["LPUSH", key("raw-wrongtype"), "x"]);

    expect(res).toEqual({
      status: 400,
      body: { error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
    });
  });

  it("answers /pipeline with one result or error per command", async () => {
    const res = await post("/pipeline", [
      ["SET", key("raw-pipe"), "1"],
      ["HGET", key("raw-pipe"), "f"],
      ["INCR", key("raw-pipe")],
    ]);

    expect(res).toEqual({
      status: 200,
      body: [
        { result: "OK" },
        { error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
        { result: 2 },
      ],
    });
  });

  it("answers /multi-exec with every result", async () => {
    const res = await post("/multi-exec", [
      ["SET", key("raw-tx"), "v"],
      ["GET", key("raw-tx")],
    ]);

    expect(res).toEqual({ status: 200, body: [{ result: "OK" }, { result: b64("v") }] });
  });

  it("discards a whole transaction Redis refuses to queue, and runs none of it", async () => {
    const res = await post("/multi-exec", [
      ["SET", key("raw-tx-discarded"), "v"],
      ["NOSUCHCOMMAND", "x"],
    ]);

    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(/^EXECABORT .*unknown command/);
    expect(await direct.exists(key("raw-tx-discarded"))).toBe(0);
  });

  it("refuses commands that would hijack the shared connection", async () => {
    const subscribe = await post("/", ["SUBSCRIBE", "channel"]);
    const select = await post("/pipeline", [["SELECT", "1"], ["PING"]]);

    expect(subscribe.status).toBe(400);
    expect((subscribe.body as { error: string }).error).toMatch(/^ERR command 'SUBSCRIBE' is not supported/);
    expect(select.body).toEqual([
      { error: "ERR command 'SELECT' is not supported by the local Upstash proxy" },
      { result: b64("PONG") },
    ]);
  });

  it("answers 401 Unauthorized to a missing or wrong token", async () => {
    const missing = await fetch(`${proxy.url}/`, { method: "POST", body: JSON.stringify(["PING"]) });
    const wrong = await post("/pipeline", [["PING"]], { authorization: "Bearer nope" });

    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: "Unauthorized" });
    expect(wrong).toEqual({ status: 401, body: { error: "Unauthorized" } });
  });

  it("answers 400 to a body that is not a command", async () => {
    const notJson = await post("/", "{nope");
    const notArray = await post("/", { command: "GET" });
    const emptyPipeline = await post("/pipeline", []);

    expect(notJson.status).toBe(400);
    expect(notArray.status).toBe(400);
    expect(emptyPipeline.status).toBe(400);
  });

  it("answers 405 to other methods and 404 to other paths", async () => {
    const get = await fetch(`${proxy.url}/`, { headers: { authorization: `Bearer ${token}` } });
    const other = await post("/get/foo", ["GET", "foo"]);

    expect(get.status).toBe(405);
    expect(other.status).toBe(404);
  });

  it("answers 413 to a body over 10 MB", async () => {
    const res = await post("/", ["SET", key("too-big"), "y".repeat(10 * 1024 * 1024 + 1)]);

    expect(res.status).toBe(413);
    expect(await direct.exists(key("too-big"))).toBe(0);
  });
});

describe("Upstash proxy: Redis unavailable", () => {
  it("answers at once with an error, not a hang, when Redis has gone away", async () => {
    const redis = await startPrivateRedis();
    const local = await startUpstashProxy({ redisUrl: redis.url, token });
    // A budget longer than any reasonable answer: a hang would end in an abort, not this error.
    const caller = createRedisClient({ url: local.url, token, timeoutMs: 15_000 });
    expect(await caller.set(key("before-down"), "1")).toBe("OK");

    await redis.stop();
    const failure = await caller.get(key("before-down")).catch((error: unknown) => error);
    const rawPost = (path: string, body: unknown) =>
      fetch(`${local.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    const single = await rawPost("/", ["PING"]);
    const transaction = await rawPost("/multi-exec", [["INCR", key("down-tx")]]);
    await local.close();

    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/? is unavailable/);
    expect(single.status).toBe(503);
    expect(transaction.status).toBe(503);
    expect(await transaction.json()).toEqual({ error: expect.stringMatching(/is unavailable/) });
  });

  it("starts even when Redis is not reachable yet, and says so per request", async () => {
    const redis = await startPrivateRedis();
    await redis.stop();

    const local = await startUpstashProxy({ redisUrl: redis.url, token });
    const caller = createRedisClient({ url: local.url, token, timeoutMs: 15_000 });
    const failure = await caller.ping().catch((error: unknown) => error);
    await local.close();

    expect((failure as Error).message).toMatch(/is unavailable/);
  });
});
