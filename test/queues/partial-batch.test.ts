import { describe, expect, it } from "vitest";
import { runPartialBatch } from "#shared/queues/partial-batch.ts";
import { sqsRecord } from "#test/support/sqs-records.ts";

const record = (id: string, group?: string) =>
  sqsRecord(id, { messageId: id, ...(group ? { groupId: group } : {}) });

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("runPartialBatch", () => {
  it("runs one message group's records one after another in batch order, groups side by side", async () => {
    // Prepare
    const events: string[] = [];
    const records = [record("a1", "A"), record("b1", "B"), record("a2", "A"), record("b2", "B")];

    // Act
    await runPartialBatch(
      records,
      {
        process: async (r) => {
          events.push(`start ${r.messageId}`);
          await tick();
          events.push(`end ${r.messageId}`);
        },
        onError: () => undefined,
        settle: async () => false,
      },
      { byMessageGroup: true },
    );

    // Assess: a2 starts only after a1 ended, while B ran alongside.
    expect(events.indexOf("start a2")).toBeGreaterThan(events.indexOf("end a1"));
    expect(events.indexOf("start b2")).toBeGreaterThan(events.indexOf("end b1"));
    expect(events.indexOf("start b1")).toBeLessThan(events.indexOf("end a1"));
  });

  it("runs the records of a standard queue all at once", async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;

    // Act
    await runPartialBatch([record("1"), record("2"), record("3")], {
      process: async () => {
        most = Math.max(most, ++inFlight);
        await tick();
        inFlight--;
      },
      onError: () => undefined,
      settle: async () => false,
    });

    // Assess
    expect(most).toBe(3);
  });

  it("reports only the failed records, in batch order: settled as failed, thrown, or failing to settle", async () => {
    // Prepare
    const records = ["ok", "fails", "throws", "settle-throws", "ok2"].map((id) => record(id));

    // Act
    const response = await runPartialBatch(records, {
      process: async (r) => {
        if (r.messageId === "throws") throw new Error("boom");
        return r.messageId === "fails" ? "retry" : "done";
      },
      onError: () => "retry",
      settle: async (r, outcome) => {
        if (r.messageId === "settle-throws") throw new Error("visibility change failed");
        return outcome === "retry";
      },
    });

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: "fails" },
      { itemIdentifier: "throws" },
      { itemIdentifier: "settle-throws" },
    ]);
  });
});
