/** The start banner's AWS lines: where SQS, SES and the secrets are, and which are external. */
import type { LocalRuntime } from "../runtime-types.ts";

const list = (names: readonly string[]) => (names.length > 0 ? names.join(", ") : "none");

export function awsBannerLines(runtime: Pick<LocalRuntime, "sqs" | "ses" | "external">): string[] {
  const { sqs, ses, secrets } = runtime.external;
  return [
    sqs
      ? `  SQS         ${sqs.url} — external (${sqs.variable}); queues created: ${list(sqs.created)}; ` +
        `already there: ${list(sqs.found)}`
      : `  SQS         ${runtime.sqs.endpoint} — in process (fauxqs)`,
    ses
      ? `  SES         ${ses.url} — external (${ses.variable})`
      : `  SES         ${runtime.ses.endpoint} — in process (aws-ses-v2-local)`,
    secrets
      ? `  Secrets     ${secrets.url} — external (${secrets.variable}); secret ${secrets.secretId} ` +
        `(${secrets.created ? "created" : "found"}), read by every function by reference`
      : "  Secrets     plain variables of each function (set FERRY_LOCAL_SECRETS_ENDPOINT for Secrets Manager)",
  ];
}
