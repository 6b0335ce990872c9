/**
 * `npm run suppression`: list, add and remove against the same Redis POST /v1/emails reads, and
 * usage errors exit 2 without touching anything.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { main } from "#infra/scripts/suppression.ts";
import { screenRecipients } from "#shared/delivery/screen.ts";
import { suppressedAmong } from "#shared/delivery/suppression.ts";
import { useScriptMain } from "#test/support/script-main.ts";

const t = useScriptMain(main);
const run = t.run;

describe("npm run suppression", () => {
  it("adds an address that POST /v1/emails then refuses, lists it, and removes it", async () => {
    const address = `Ops-${randomUUID()}@Example.org`;
    const normalized = address.toLowerCase();
    const email = { to: [address, "fine@example.org"], subject: "s", text: "t" };

    const added = await run("add", address, "--reason", "complaint", "--note", "asked by phone");
    expect(added.code).toBe(0);
    expect(await suppressedAmong(t.redis, [address])).toMatchObject([
      { address: normalized, reason: "complaint", source: "operator", detail: "asked by phone" },
    ]);
    await expect(screenRecipients(t.redis, email, "reject")).rejects.toThrow(normalized);

    const listed = await run("list", "--json");
    const entries = JSON.parse(listed.out) as { address: string }[];
    expect(entries.map((e) => e.address)).toContain(normalized);
    expect((await run("list")).out).toContain(`${normalized}\tcomplaint\toperator`);

    expect((await run("remove", address)).code).toBe(0);
    expect(await suppressedAmong(t.redis, [address])).toEqual([]);
    await expect(screenRecipients(t.redis, email, "reject")).resolves.toMatchObject({ skipped: [] });
    const again = await run("remove", address);
    expect(again).toMatchObject({ code: 1, err: expect.stringContaining("is not suppressed") });
  });

  it("refuses a bad command, address or reason with exit 2, changing nothing", async () => {
    expect((await run("purge")).code).toBe(2);
    expect((await run("add", "not-an-address")).code).toBe(2);
    const bad = await run("add", `x-${randomUUID()}@example.org`, "--reason", "spite");
    expect(bad).toMatchObject({ code: 2, err: expect.stringContaining("--reason must be one of") });
    expect((await run("--help")).out).toContain("npm run suppression -- list");
  });
});
