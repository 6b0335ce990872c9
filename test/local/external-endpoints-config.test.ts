/** Which services `npm run dev` finds outside its process, from FERRY_LOCAL_*_ENDPOINT. */
import { describe, expect, it } from "vitest";
import { externalAwsFrom, localRegionFrom } from "#infra/local/aws/external-endpoints.ts";

describe("external endpoint settings", () => {
  it("keeps every service in process when no endpoint is set", () => {
    const external = externalAwsFrom({ AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:1" });

    expect(external.endpoints).toEqual({});
  });

  it("points all three at the shared endpoint, each naming the variable it came from", () => {
    const external = externalAwsFrom({ FERRY_LOCAL_AWS_ENDPOINT: "http://localhost:4566/" });

    expect(external.endpoints).toEqual({
      sqs: { url: "http://localhost:4566", variable: "FERRY_LOCAL_AWS_ENDPOINT" },
      ses: { url: "http://localhost:4566", variable: "FERRY_LOCAL_AWS_ENDPOINT" },
      secrets: { url: "http://localhost:4566", variable: "FERRY_LOCAL_AWS_ENDPOINT" },
    });
  });

  it("lets a per-service endpoint win over the shared one", () => {
    const external = externalAwsFrom({
      FERRY_LOCAL_AWS_ENDPOINT: "http://127.0.0.1:4566",
      FERRY_LOCAL_SES_ENDPOINT: "http://127.0.0.1:8005",
    });

    expect(external.endpoints.ses).toEqual({
      url: "http://127.0.0.1:8005",
      variable: "FERRY_LOCAL_SES_ENDPOINT",
    });
    expect(external.endpoints.sqs?.variable).toBe("FERRY_LOCAL_AWS_ENDPOINT");
  });

  it("uses LocalStack's test credentials and the ferry-local secret unless told otherwise", () => {
    const defaults = externalAwsFrom({});
    const set = externalAwsFrom({
      FERRY_LOCAL_AWS_ACCESS_KEY_ID: "AKID",
      FERRY_LOCAL_AWS_SECRET_ACCESS_KEY: "shh",
      FERRY_LOCAL_SECRET_ID: "mine",
      FERRY_LOCAL_AWS_REGION: "eu-west-1",
    });

    expect(defaults.credentials).toEqual({ accessKeyId: "test", secretAccessKey: "test" });
    expect(defaults.secretId).toBe("ferry-local");
    expect(localRegionFrom({})).toBe("us-east-1");
    expect(set.credentials).toEqual({ accessKeyId: "AKID", secretAccessKey: "shh" });
    expect(set.secretId).toBe("mine");
    expect(localRegionFrom({ FERRY_LOCAL_AWS_REGION: "eu-west-1" })).toBe("eu-west-1");
  });

  it("refuses malformed endpoints, naming each variable once", () => {
    const read = () =>
      externalAwsFrom({
        FERRY_LOCAL_AWS_ENDPOINT: "http://127.0.0.1:4566/edge",
        FERRY_LOCAL_SQS_ENDPOINT: "not a url",
      });

    expect(read).toThrow(/FERRY_LOCAL_SQS_ENDPOINT: "not a url" is not a URL/);
    expect(read).toThrow(/FERRY_LOCAL_AWS_ENDPOINT: "http:\/\/127.0.0.1:4566\/edge" must have no path/);
    expect(() => read()).not.toThrow(/must have no path[\s\S]*must have no path/);
  });
});
