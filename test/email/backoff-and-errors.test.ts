import { describe, expect, it } from "vitest";
import type { RequestTrace } from "#shared/aws/request-trace.ts";
import { fullJitterDelaySeconds } from "#shared/email/backoff.ts";
import { classifySesError, DELIVERY_UNKNOWN, SES_ACCESS_DENIED } from "#shared/email/ses-errors.ts";

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
  const notSent: RequestTrace = { started: true, fullySent: false, reusedSocket: false };
  const sent: RequestTrace = { started: true, fullySent: true, reusedSocket: false };

  it("treats throttling and quota as transient throttles", () => {
    for (const name of ["TooManyRequestsException", "LimitExceededException", "ThrottlingException"]) {
      expect(classifySesError(sdkError(name, 429), notSent)).toMatchObject({
        kind: "transient",
        throttled: true,
        code: name,
      });
    }
  });

  it("treats rejection, unverified sender and bad parameters as permanent", () => {
    for (const name of ["MessageRejected", "MailFromDomainNotVerifiedException", "BadRequestException"]) {
      expect(classifySesError(sdkError(name, 400), notSent)).toMatchObject({
        kind: "permanent",
        throttled: false,
      });
    }
  });

  it("treats 5xx, network errors and timeouts as transient", () => {
    expect(classifySesError(sdkError("InternalFailure", 500), notSent).kind).toBe("transient");
    expect(
      classifySesError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), notSent).kind,
    ).toBe("transient");
    expect(classifySesError(sdkError("TimeoutError"), notSent).kind).toBe("transient");
  });

  it("treats an unknown 4xx as permanent", () => {
    expect(classifySesError(sdkError("SomethingNew", 400), notSent).kind).toBe("permanent");
  });

  it("turns an AccessDenied into an operator problem whose task error names no account or role", () => {
    const denied = Object.assign(
      new Error(
        "User: arn:aws:sts::123456789012:assumed-role/Ferry-EmailWorkerRole-1A2B/Ferry-EmailWorker is not " +
          "authorized to perform: ses:SendEmail on resource: arn:aws:ses:us-east-1:123456789012:identity/x.com",
      ),
      { name: "AccessDeniedException", $metadata: { httpStatusCode: 403 } },
    );

    const failure = classifySesError(denied, sent);

    expect(failure).toMatchObject({
      kind: "permanent",
      operatorProblem: true,
      code: SES_ACCESS_DENIED,
      sesCode: "AccessDeniedException",
    });
    expect(failure.message).not.toMatch(/123456789012|EmailWorkerRole|arn:/);
    expect(failure.sesMessage).toContain("123456789012");
    expect(classifySesError(sdkError("SomethingNew", 403), notSent).code).toBe(SES_ACCESS_DENIED);
  });

  it("treats a fully sent request that got no answer as maybe accepted, and one that never got out as transient", () => {
    const timeout = Object.assign(new Error("exceeded the configured 10000 ms requestTimeout"), {
      name: "TimeoutError",
      code: "ETIMEDOUT",
    });
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });

    expect(classifySesError(timeout, sent)).toMatchObject({ kind: "maybeAccepted", code: DELIVERY_UNKNOWN });
    expect(classifySesError(timeout, notSent).kind).toBe("transient");
    expect(classifySesError(refused, { started: true, fullySent: false, reusedSocket: false }).kind).toBe(
      "transient",
    );
    expect(classifySesError(refused, { started: false, fullySent: false, reusedSocket: false }).kind).toBe(
      "transient",
    );
  });

  it("treats a reset on a reused keep-alive socket as transient: the server had closed it before reading", () => {
    const reset = Object.assign(new Error("socket hang up"), { name: "TimeoutError", code: "ECONNRESET" });

    expect(classifySesError(reset, { started: true, fullySent: true, reusedSocket: true }).kind).toBe(
      "transient",
    );
    expect(classifySesError(reset, sent).kind).toBe("maybeAccepted");
  });

  it("treats a 2xx without a message id as maybe accepted: SES took the email", () => {
    expect(classifySesError(sdkError("SesNoMessageId", 200), sent).kind).toBe("maybeAccepted");
  });
});
