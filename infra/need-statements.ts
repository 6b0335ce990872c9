/**
 * The IAM statements a function's needs grant (shared/app/needs.ts), as plain policy JSON. The
 * stack (constructs/need-wiring.ts) resolves the ARNs to CloudFormation tokens and puts these in
 * the function's role; the local runtime (local/local-iam.ts) resolves them to local ARNs and
 * enforces them. One function, so what is enforced locally is what is deployed.
 */
import { type FunctionNeed, NEEDS, type QueueName, type ResourceRef } from "#shared/app/manifest.ts";

export interface IamStatement {
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** Where the stack or the local runtime has put what needs refer to. */
export interface NeedResources {
  queueArn(queue: QueueName): string;
  /** `arn:…:ses:{region}:{account}:identity/*`. */
  readonly sesIdentities: string;
  /** The sender address every email is sent from (the ses:FromAddress condition). */
  readonly emailFrom: string;
  /** `arn:…:ses:{region}:{account}:configuration-set/{name}`, when the stack names one. */
  readonly sesConfigurationSet?: string | undefined;
  /** `arn:…:execute-api:{region}:{account}:{api}/{stage}/POST/@connections/*`. */
  readonly webSocketConnections: string;
}

function statementFor(actions: readonly string[], resource: ResourceRef, arns: NeedResources): IamStatement {
  switch (resource.kind) {
    case "queue":
      return { Effect: "Allow", Action: actions, Resource: [arns.queueArn(resource.queue)] };
    case "sesSend":
      // SES authorizes a send against every identity involved: the From address, its domain, and
      // in the sandbox each recipient (aws-fidelity.md), and the configuration set. Any identity,
      // but only for a request whose From address is Ferry's sender.
      return {
        Effect: "Allow",
        Action: actions,
        Resource: [arns.sesIdentities, ...(arns.sesConfigurationSet ? [arns.sesConfigurationSet] : [])],
        Condition: { StringEquals: { "ses:FromAddress": arns.emailFrom } },
      };
    case "webSocketConnections":
      return { Effect: "Allow", Action: actions, Resource: [arns.webSocketConnections] };
  }
}

export function statementsOfNeeds(needs: readonly FunctionNeed[], arns: NeedResources): IamStatement[] {
  return needs.flatMap((need) => NEEDS[need].grants.map((g) => statementFor(g.actions, g.resource, arns)));
}
