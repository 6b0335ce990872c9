/**
 * POST /v1/realtime/tickets and the WebSocket `$connect` that redeems tickets, through the local
 * runtime (HTTP gateway, ws gateway that runs `$connect` before completing the upgrade).
 */

import { describe, expect, it } from "vitest";
import { getConnection } from "#shared/realtime/connections.ts";
import { subscribersOf } from "#shared/realtime/subscriptions.ts";
import { TICKET_TTL_SECONDS, ticketKey } from "#shared/realtime/tickets.ts";
import { h, key, useRealtimeHarness } from "./support/realtime-file.ts";
import { newKey, newTask, requestTicket } from "./support/runtime.ts";
import { eventually, openWs, upgradeStatus } from "./support/ws-client.ts";

useRealtimeHarness();

describe("POST /v1/realtime/tickets", () => {
  it("answers 201 with a single-use ticket, the URL to connect to, and its lifetime", async () => {
    // Act
    const res = await requestTicket(h.runtime, key.secret);

    // Assess
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body.ticket).toMatch(/^wst_[A-Za-z0-9_-]{43}$/);
    expect(res.body.expiresInSeconds).toBe(TICKET_TTL_SECONDS);
    const url = new URL(res.body.url);
    expect(`${url.origin}${url.pathname}`).toBe(h.runtime.wsUrl);
    expect(url.searchParams.get("ticket")).toBe(res.body.ticket);
    expect(res.body.url).not.toContain(key.secret);
  });

  it("stores only the ticket's hash, with a TTL of at most 60 s", async () => {
    // Act
    const { body } = await requestTicket(h.runtime, key.secret);

    // Assess
    const ttl = await h.redis.command(["ttl", ticketKey(body.ticket)]);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(TICKET_TTL_SECONDS);
    expect(ticketKey(body.ticket)).not.toContain(body.ticket);
  });

  it("answers 401 problem+json without an API key", async () => {
    // Act
    const res = await requestTicket(h.runtime);

    // Assess
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });

  it("answers 401 for an unknown API key", async () => {
    // Act
    const res = await requestTicket(h.runtime, "fry_not-a-real-key");

    // Assess
    expect(res.status).toBe(401);
  });

  it("answers 403 for a key without the realtime:connect scope", async () => {
    // Prepare
    const readOnly = await newKey(h.redis, ["tasks:read"]);

    // Act
    const res = await requestTicket(h.runtime, readOnly.secret);

    // Assess
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });
});

describe("WebSocket $connect", () => {
  it("admits a valid ticket and records the connection under the ticket's principal", async () => {
    // Prepare
    const { body } = await requestTicket(h.runtime, key.secret);
    const task = await newTask(h.redis, key.keyId);

    // Act
    const client = await openWs(body.url);
    client.send({ action: "subscribe", taskId: task.id });
    await client.waitFor((m) => m.type === "subscribed");

    // Assess
    const [connectionId] = await subscribersOf(h.redis, task.id);
    expect(connectionId).toBeDefined();
    expect((await getConnection(h.redis, connectionId ?? ""))?.keyId).toBe(key.keyId);
    await client.close();
  });

  it("refuses the upgrade with 401 when no ticket is given", async () => {
    // Act
    const status = await upgradeStatus(h.runtime.wsUrl);

    // Assess
    expect(status).toBe(401);
  });

  it("refuses the upgrade with 401 when the API key itself is put in the URL", async () => {
    // Act
    const status = await upgradeStatus(`${h.runtime.wsUrl}?apiKey=${encodeURIComponent(key.secret)}`);

    // Assess
    expect(status).toBe(401);
  });

  it("refuses a forged ticket with 403", async () => {
    // Prepare
    const forged = `wst_${"A".repeat(43)}`;

    // Act
    const status = await upgradeStatus(`${h.runtime.wsUrl}?ticket=${forged}`);

    // Assess
    expect(status).toBe(403);
  });

  it("refuses a malformed ticket with 403", async () => {
    // Act
    const status = await upgradeStatus(`${h.runtime.wsUrl}?ticket=${encodeURIComponent("not a ticket*")}`);

    // Assess
    expect(status).toBe(403);
  });

  it("refuses an expired ticket with 403", async () => {
    // Prepare: age the ticket past its TTL in Redis.
    const { body } = await requestTicket(h.runtime, key.secret);
    await h.redis.command(["pexpire", ticketKey(body.ticket), 1]);
    await eventually(async () => (await h.redis.exists(ticketKey(body.ticket))) === 0);

    // Act
    const status = await upgradeStatus(body.url);

    // Assess
    expect(status).toBe(403);
  });

  it("refuses a ticket that was already used", async () => {
    // Prepare
    const { body } = await requestTicket(h.runtime, key.secret);
    expect(await upgradeStatus(body.url)).toBe(101);

    // Act
    const second = await upgradeStatus(body.url);

    // Assess
    expect(second).toBe(403);
  });

  it("admits exactly one of several connections racing with the same ticket", async () => {
    // Prepare
    const { body } = await requestTicket(h.runtime, key.secret);

    // Act
    const statuses = await Promise.all(Array.from({ length: 5 }, () => upgradeStatus(body.url)));

    // Assess
    expect(statuses.filter((s) => s === 101)).toHaveLength(1);
    expect(statuses.filter((s) => s === 403)).toHaveLength(4);
  });
});
