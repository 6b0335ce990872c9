/**
 * IAM, enforced locally: every AWS call a function makes is checked against the role the stack
 * gives that function, the same statements (infra/need-statements.ts from shared/app/needs.ts)
 * resolved to local ARNs. A call the role does not allow fails as AWS fails it: 403 with
 * `AccessDenied` (SQS) or `AccessDeniedException` (SES, API Gateway), so a missing grant breaks
 * `npm run dev` and the end-to-end tests instead of a first deployment. Functions are told apart
 * by the access key their sandbox signs with (function-env.ts); any other key (a test, a CLI, the
 * poller playing the event source mapping) acts as an administrator would.
 *
 * The evaluator is written here rather than taken from npm: the one full simulator published
 * (@cloud-copilot/iam-simulate) is AGPL-3.0 and ~19 MB, and the roles Ferry writes use only
 * Allow statements with action and resource wildcards and String conditions, which is all this
 * evaluates. Not enforced: explicit Deny, resource policies, SCPs, KMS, service quotas, and the
 * SES sandbox's recipient rules (README "Limits").
 */
import type { FunctionNeed, QueueName } from "#shared/app/manifest.ts";
import type { IamStatement } from "../../need-statements.ts";
import { statementsOfNeeds } from "../../need-statements.ts";
import { LOCAL_ACCOUNT_ID } from "../functions/lambda-context.ts";
import type { AwsCall, Inspector, Verdict } from "./aws-proxy.ts";

/** The stage the stack deploys the WebSocket API to (ferry-websocket-api.ts WEBSOCKET_STAGE_NAME). */
export const LOCAL_WEBSOCKET_STAGE = "live";

/** One authorization question: may this action be done on this resource, in this context? */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

export interface Denial {
  readonly functionName: string;
  readonly action: string;
  readonly resource: string;
  readonly at: string;
}

/** IAM's wildcard match: `*` any run of characters, `?` one; actions are case-insensitive. */
function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, caseInsensitive ? "i" : "").test(value);
}

function conditionHolds(
  condition: IamStatement["Condition"],
  context: Readonly<Record<string, string>>,
): boolean {
  if (!condition) return true;
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = context[key];
      const options = [expected].flat();
      if (actual === undefined) return false;
      switch (operator) {
        case "StringEquals":
          return options.includes(actual);
        case "StringEqualsIgnoreCase":
          return options.some((o) => o.toLowerCase() === actual.toLowerCase());
        case "StringLike":
          return options.some((o) => wildcardMatch(o, actual));
        default:
          // An operator this evaluator does not know never grants: deny rather than guess.
          return false;
      }
    }),
  );
}

/** True when an Allow statement covers the request (roles here have no Deny statements). */
export function isAllowed(statements: readonly IamStatement[], request: IamRequest): boolean {
  return statements.some(
    (s) =>
      s.Effect === "Allow" &&
      s.Action.some((a) => wildcardMatch(a, request.action, true)) &&
      s.Resource.some((r) => wildcardMatch(r, request.resource)) &&
      conditionHolds(s.Condition, request.context ?? {}),
  );
}

export interface LocalIamOptions {
  readonly region: string;
  readonly functions: Readonly<Record<string, { readonly needs?: readonly FunctionNeed[] }>>;
  readonly queueArns: Partial<Record<QueueName, string>>;
  readonly emailFrom: string | undefined;
  readonly sesConfigurationSet?: string | undefined;
  readonly webSocketApiId: string;
  /**
   * The secret every function may read (the stack's `secrets.grantRead(fn)`), when the functions
   * read it from a Secrets Manager (an external one, FERRY_LOCAL_SECRETS_ENDPOINT).
   */
  readonly secretArn?: string | undefined;
  /** The access key each function's sandbox signs with. */
  readonly accessKeyOf: (functionName: string) => string;
}

export interface LocalIam {
  /** For the SQS and SES edges. */
  readonly inspector: Inspector;
  /** For the @connections endpoint: a denial message, or undefined when allowed. */
  authorizeManagement(accessKeyId: string, method: string, connectionId: string): string | undefined;
  /** Every call refused so far (tests fail on any they did not expect). */
  readonly denials: readonly Denial[];
}

/** `Name <a@b.c>` or `a@b.c` → `a@b.c`. */
const addressOf = (from: string): string => /<([^>]+)>/.exec(from)?.[1] ?? from.trim();

export function createLocalIam(options: LocalIamOptions): LocalIam {
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${options.region}:${LOCAL_ACCOUNT_ID}:${resource}`;
  const roles = new Map<string, { functionName: string; statements: IamStatement[] }>();
  for (const [functionName, spec] of Object.entries(options.functions)) {
    const statements = statementsOfNeeds(spec.needs ?? [], {
      queueArn: (queue) => options.queueArns[queue] ?? arn("sqs", `missing-${queue}`),
      sesIdentities: arn("ses", "identity/*"),
      emailFrom: options.emailFrom ?? "",
      sesConfigurationSet: options.sesConfigurationSet
        ? arn("ses", `configuration-set/${options.sesConfigurationSet}`)
        : undefined,
      webSocketConnections: arn(
        "execute-api",
        `${options.webSocketApiId}/${LOCAL_WEBSOCKET_STAGE}/POST/@connections/*`,
      ),
    });
    if (options.secretArn) {
      // What the stack's grantRead gives every function on the stack's secret.
      statements.push({
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Resource: [options.secretArn],
      });
    }
    roles.set(options.accessKeyOf(functionName), { functionName, statements });
  }
  const denials: Denial[] = [];

  /** Every authorization a call needs; all must be allowed. */
  const requestsOf = (call: AwsCall): IamRequest[] => {
    if (call.service === "sqs") {
      const queueUrl = typeof call.input.QueueUrl === "string" ? call.input.QueueUrl : undefined;
      const queueName =
        queueUrl?.split("/").pop() ?? (typeof call.input.QueueName === "string" ? call.input.QueueName : "*");
      return [{ action: `sqs:${call.action}`, resource: arn("sqs", queueName) }];
    }
    if (call.service === "ses" && call.action === "SendEmail") {
      const from = addressOf(String(call.input.FromEmailAddress ?? ""));
      const domain = from.slice(from.lastIndexOf("@") + 1);
      const context = { "ses:FromAddress": from };
      const configurationSet = call.input.ConfigurationSetName;
      return [
        { action: "ses:SendEmail", resource: arn("ses", `identity/${from}`), context },
        { action: "ses:SendEmail", resource: arn("ses", `identity/${domain}`), context },
        ...(typeof configurationSet === "string"
          ? [
              {
                action: "ses:SendEmail",
                resource: arn("ses", `configuration-set/${configurationSet}`),
                context,
              },
            ]
          : []),
      ];
    }
    if (call.service === "secretsmanager") {
      const secretId = typeof call.input.SecretId === "string" ? call.input.SecretId : "*";
      return [{ action: `secretsmanager:${call.action}`, resource: secretId }];
    }
    return [{ action: `${call.service}:${call.action}`, resource: "*" }];
  };

  /** The denial message AWS gives, or undefined when the role allows every request. */
  const decide = (accessKeyId: string, requests: readonly IamRequest[]): string | undefined => {
    const role = roles.get(accessKeyId);
    if (!role) return undefined;
    const refused = requests.find((r) => !isAllowed(role.statements, r));
    if (!refused) return undefined;
    denials.push({
      functionName: role.functionName,
      action: refused.action,
      resource: refused.resource,
      at: new Date().toISOString(),
    });
    return (
      `User: arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${role.functionName}-role/${role.functionName} ` +
      `is not authorized to perform: ${refused.action} on resource: ${refused.resource} ` +
      `because no identity-based policy allows the ${refused.action} action`
    );
  };

  return {
    inspector: (call): Verdict | undefined => {
      const message = decide(call.accessKeyId, requestsOf(call));
      if (!message) return undefined;
      // SQS's JSON protocol keeps its query-era code; SES and the others use the exception name.
      const code = call.service === "sqs" ? "AccessDenied" : "AccessDeniedException";
      return { kind: "error", status: 403, code, message };
    },
    authorizeManagement: (accessKeyId, method, connectionId) =>
      decide(accessKeyId, [
        {
          action: "execute-api:ManageConnections",
          resource: arn(
            "execute-api",
            `${options.webSocketApiId}/${LOCAL_WEBSOCKET_STAGE}/${method}/@connections/${connectionId}`,
          ),
        },
      ]),
    denials,
  };
}
