/**
 * Applies shared/app/needs.ts to a function in the stack: each need's variables become Lambda
 * environment, each of its grants a statement in the function's role (need-statements.ts, which
 * the local runtime enforces too). The symbolic values and resources of the table are resolved
 * here to the stack's tokens.
 */
import type { Stack } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { type EnvSource, type FunctionNeed, NEEDS, type QueueName } from "#shared/app/manifest.ts";
import { statementsOfNeeds } from "../need-statements.ts";
import type { FerryFunction } from "./ferry-function.ts";
import type { FerryWebSocketApi } from "./ferry-websocket-api.ts";
import { InvalidStackInputError } from "./stack-input.ts";

/** What the stack has built that needs refer to. */
export interface NeedTargets {
  readonly stack: Stack;
  readonly queues: Partial<Record<QueueName, { readonly queue: Queue }>>;
  readonly webSocketApi: FerryWebSocketApi | undefined;
  readonly emailFrom: string;
  readonly sesConfigurationSet?: string;
}

export function wireNeeds(fn: FerryFunction, needs: readonly FunctionNeed[], targets: NeedTargets): void {
  for (const need of needs) {
    for (const [variable, source] of Object.entries<EnvSource>(NEEDS[need].env)) {
      const value = envValue(source, need, targets);
      if (value !== undefined) fn.addEnvironment(variable, value);
    }
    const statements = statementsOfNeeds([need], {
      queueArn: (queue) => queueOf(queue, need, targets).queueArn,
      sesIdentities: targets.stack.formatArn({ service: "ses", resource: "identity", resourceName: "*" }),
      emailFrom: targets.emailFrom,
      sesConfigurationSet: targets.sesConfigurationSet
        ? targets.stack.formatArn({
            service: "ses",
            resource: "configuration-set",
            resourceName: targets.sesConfigurationSet,
          })
        : undefined,
      get webSocketConnections() {
        const api = webSocketOf(need, targets);
        // Only POST @connections/{id} is used (aws-fidelity.md): nothing else is granted.
        return targets.stack.formatArn({
          service: "execute-api",
          resource: api.api.apiId,
          resourceName: `${api.stage.stageName}/POST/@connections/*`,
        });
      },
    });
    for (const statement of statements) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: [...statement.Action],
          resources: [...statement.Resource],
          ...(statement.Condition ? { conditions: statement.Condition } : {}),
        }),
      );
    }
  }
}

function envValue(source: EnvSource, need: FunctionNeed, targets: NeedTargets): string | undefined {
  switch (source.kind) {
    case "queueUrl":
      return queueOf(source.queue, need, targets).queueUrl;
    case "emailFrom":
      return targets.emailFrom;
    case "webSocketCallbackUrl":
      return webSocketOf(need, targets).callbackUrl;
    case "webSocketPublicUrl":
      return webSocketOf(need, targets).url;
    case "sesConfigurationSet":
      return targets.sesConfigurationSet;
  }
}

function queueOf(name: QueueName, need: FunctionNeed, targets: NeedTargets): Queue {
  const queue = targets.queues[name]?.queue;
  if (!queue) throw new InvalidStackInputError(`${need} needs the "${name}" queue`);
  return queue;
}

function webSocketOf(need: FunctionNeed, targets: NeedTargets): FerryWebSocketApi {
  if (!targets.webSocketApi)
    throw new InvalidStackInputError(`${need} needs WebSocket routes in the manifest`);
  return targets.webSocketApi;
}
