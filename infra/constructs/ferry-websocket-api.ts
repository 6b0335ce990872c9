/**
 * The WebSocket API: the manifest's route selection expression and routes, each to its function,
 * and one auto-deployed stage. Functions that push to clients get the stage's management endpoint.
 */
import { Stack } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  LogGroupLogDestination,
  WebSocketApi,
  type WebSocketRoute,
  WebSocketStage,
} from "aws-cdk-lib/aws-apigatewayv2";
import { WebSocketLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { WebSocketRoute as ManifestWebSocketRoute } from "#shared/app/manifest.ts";
import type { ThrottleLimits } from "./ferry-http-api.ts";
import { constructId } from "./stack-input.ts";

export const WEBSOCKET_STAGE_NAME = "live";

/** One JSON object per WebSocket event; the fields are API Gateway WebSocket `$context` variables. */
export const WEBSOCKET_ACCESS_LOG_FORMAT: Readonly<Record<string, string>> = {
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  eventType: "$context.eventType",
  routeKey: "$context.routeKey",
  connectionId: "$context.connectionId",
  status: "$context.status",
  integrationLatency: "$context.integrationLatency",
  error: "$context.error.message",
};

export interface FerryWebSocketApiProps {
  readonly routeSelectionExpression: string;
  readonly routes: readonly ManifestWebSocketRoute[];
  /** Resolves a manifest function name to the function built for it. */
  readonly functionFor: (name: string) => IFunction;
  readonly throttle: ThrottleLimits;
  /**
   * Access logs for the stage. Off by default: unlike HTTP APIs, WebSocket APIs can only log once
   * the region's API Gateway account settings name a CloudWatch role, an account-wide singleton
   * this stack must not own; without it the deploy fails. Turn on where that role is set.
   * @default false
   */
  readonly accessLogs?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: RetentionDays;
}

export class FerryWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  /** Routes by route key (`$connect`, `subscribe`). */
  readonly routes: ReadonlyMap<string, WebSocketRoute>;
  readonly accessLogs: LogGroup | undefined;

  constructor(scope: Construct, id: string, props: FerryWebSocketApiProps) {
    super(scope, id);
    this.api = new WebSocketApi(this, "Api", {
      apiName: `${Stack.of(this).stackName}-websocket`,
      description: "Ferry live task updates",
      routeSelectionExpression: props.routeSelectionExpression,
    });
    const routes = new Map<string, WebSocketRoute>();
    for (const route of props.routes) {
      const routeId = constructId(route.routeKey);
      routes.set(
        route.routeKey,
        this.api.addRoute(route.routeKey, {
          integration: new WebSocketLambdaIntegration(
            `${routeId}Integration`,
            props.functionFor(route.function),
          ),
        }),
      );
    }
    this.routes = routes;
    this.accessLogs = props.accessLogs
      ? new LogGroup(this, "AccessLogs", { retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH })
      : undefined;
    this.stage = new WebSocketStage(this, "Stage", {
      webSocketApi: this.api,
      stageName: WEBSOCKET_STAGE_NAME,
      autoDeploy: true,
      throttle: props.throttle,
      ...(this.accessLogs
        ? {
            accessLogSettings: {
              destination: new LogGroupLogDestination(this.accessLogs),
              format: AccessLogFormat.custom(JSON.stringify(WEBSOCKET_ACCESS_LOG_FORMAT)),
            },
          }
        : {}),
    });
  }

  /** The wss:// URL clients connect to. */
  get url(): string {
    return this.stage.url;
  }

  /** The https:// management endpoint functions post to (`@connections`). */
  get callbackUrl(): string {
    return this.stage.callbackUrl;
  }
}
