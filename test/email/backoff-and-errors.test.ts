import { describe, expect, it } from "vitest";
import { fullJitterDelaySeconds } from "#shared/email/backoff.ts";
import { classifySesError } from "#shared/email/ses-errors.ts";

describe("full-jitter backoff", () => {
  it("grows the ceiling exponentially and caps it", () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5].map((n) => fullJitterDelaySeconds(n, 2, 900, top))).toEqual([2, 4, 8, 16, 32]);
    expect(fullJitterDelaySeconds(20, 2, 900, top)).toBe(900);
  });

  it("draws uniformly below the ceiling", () => {
    expect(fullJitterDelaySeconds(4, 2, 900, () => 0)).toBe(0);
    expect(fullJitterDelaySeconds(4, 2, 900, () => 0.5)).toBe(8);
  });
});

describe("SES error classification", () => {
  const sdkError = (name: string, status?: number) =>
    Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });

  it("treats throttling and quota as transient throttles", () => {
    for (const name of ["TooManyRequestsException", "LimitExceededException", "ThrottlingException"]) {
      expect(classifySesError(sdkError(name, 429))).toMatchObject({
        kind: "transient",
        throttled: true,
        code: name,
      });
    }
  });

  it("treats rejection, unverified sender and bad parameters as permanent", () => {
    for (const name of ["MessageRejected", "MailFromDomainNotVerifiedException", "BadRequestException"]) {
      expect(classifySesError(sdkError(name, 400))).toMatchObject({ kind: "permanent", throttled: false });
    }
  });

  it("treats 5xx, network errors and timeouts as transient", () => {
    expect(classifySesError(sdkError("InternalFailure", 500)).kind).toBe("transient");
    expect(classifySesError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })).kind).toBe(
      "transient",
    );
    expect(classifySesError(sdkError("TimeoutError")).kind).toBe("transient");
  });

  it("treats an unknown 4xx as permanent", () => {
    expect(classifySesError(sdkError("SomethingNew", 403)).kind).toBe("permanent");
  });
});
