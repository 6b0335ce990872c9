/** The contract check itself: it must refuse what a drifting handler would send. */
import { describe, expect, it } from "vitest";
import { ContractViolation, checkAgainstContract } from "#test/support/contract.ts";

const task = {
  id: "tsk_1",
  type: "email",
  status: "queued",
  attempts: 0,
  createdAt: "2026-11-21T10:00:00.000Z",
  updatedAt: "2026-11-21T10:00:00.000Z",
  version: 1,
};

const response = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers: new Headers({ "x-request-id": "req-1", "content-type": "application/json", ...headers }),
  text: JSON.stringify(body),
  body,
});

describe("the contract check", () => {
  it("accepts a documented response", () => {
    expect(() => checkAgainstContract("GET", "/v1/tasks/tsk_1", response(200, task))).not.toThrow();
  });

  it("refuses an undocumented field, such as the task's owner leaking", () => {
    expect(() =>
      checkAgainstContract("GET", "/v1/tasks/tsk_1", response(200, { ...task, ownerKeyId: "key_1" })),
    ).toThrow(ContractViolation);
  });

  it("refuses an undocumented status, a missing x-request-id and a wrong content type", () => {
    expect(() => checkAgainstContract("GET", "/v1/tasks/tsk_1", response(201, task))).toThrow(
      /not documented/,
    );
    const noId = response(200, task);
    noId.headers.delete("x-request-id");
    expect(() => checkAgainstContract("GET", "/v1/tasks/tsk_1", noId)).toThrow(/X-Request-Id/i);
    expect(() =>
      checkAgainstContract("GET", "/v1/tasks/tsk_1", response(404, { type: "x", title: "x", status: 404 })),
    ).toThrow(ContractViolation);
  });

  it("refuses a problem type the document does not list for that status", () => {
    const problem = { type: "https://ferry.dev/problems/teapot", title: "Nope", status: 404 };
    expect(() =>
      checkAgainstContract(
        "GET",
        "/v1/tasks/tsk_1",
        response(404, problem, { "content-type": "application/problem+json" }),
      ),
    ).toThrow(ContractViolation);
  });

  it("refuses a 429 without Retry-After", () => {
    const problem = {
      type: "https://ferry.dev/problems/rate-limited",
      title: "Too many requests",
      status: 429,
    };
    expect(() =>
      checkAgainstContract(
        "GET",
        "/v1/tasks",
        response(429, problem, { "content-type": "application/problem+json" }),
      ),
    ).toThrow(/Retry-After/);
  });
});
