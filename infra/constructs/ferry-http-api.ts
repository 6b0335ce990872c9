/**
 * The public HTTP API: one Lambda integration per manifest route, the manifest's fallback function
 * on `$default` (so unknown paths get Ferry's 404 problem+json, not API Gateway's), and a `$default`
 * stage built here rather than by HttpApi so it can carry access logs and default throttling.
 */

import { Duration, Stack } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { HttpRoute as ManifestHttpRoute } from "#shared/app/manifest.ts";
import { constructId } from "./stack-input.ts";

/** One JSON object per request; the fields are API Gateway HTTP API `$context` variables. */
export const HTTP_ACCESS_LOG_FORMAT: Readonly<Record<string, string>> = {
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  method: "$context.httpMethod",
  path: "$context.path",
  routeKey: "$context.routeKey",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  latency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
};

export interface ThrottleLimits {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface FerryHttpApiProps {
  readonly routes: readonly ManifestHttpRoute[];
  /** Resolves a manifest function name to the function built for it. */
  readonly functionFor: (name: string) => IFunction;
  /** The function serving requests no route matches. */
  readonly fallback: IFunction;
  /** Default route throttling of the stage: a backstop, the app's own rate limits come first. */
  readonly throttle: ThrottleLimits;
  /** @default RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: RetentionDays;
  /** Browser origins allowed to call the API (CORS); empty or absent: no CORS configuration. */
  readonly corsOrigins?: readonly string[];
}

/** What a browser client sends beyond the CORS-safelisted headers. */
export const CORS_ALLOW_HEADERS = ["authorization", "content-type", "idempotency-key"] as const;
/** Response headers a browser client may read: the request id and the rate-limit answers. */
export const CORS_EXPOSE_HEADERS = [
  "x-request-id",
  "retry-after",
  "ratelimit",
  "ratelimit-policy",
  "idempotent-replayed",
] as const;

export class FerryHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /** Routes by their manifest route key (`GET /health`). */
  readonly routes: ReadonlyMap<string, HttpRoute>;
  /** The `$default` route, served by the manifest's fallback function. */
  readonly fallbackRoute: HttpRoute;

  constructor(scope: Construct, id: string, props: FerryHttpApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, "Api", {
      apiName: `${Stack.of(this).stackName}-http`,
      description: "Ferry public HTTP API",
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration("FallbackIntegration", props.fallback),
      // API Gateway answers the preflight itself and adds the headers to every answer.
      ...(props.corsOrigins && props.corsOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: [...props.corsOrigins],
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.OPTIONS],
              allowHeaders: [...CORS_ALLOW_HEADERS],
              exposeHeaders: [...CORS_EXPOSE_HEADERS],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    // HttpApi creates the `$default` route for `defaultIntegration` under this ID.
    this.fallbackRoute = this.api.node.findChild("DefaultRoute") as HttpRoute;
    this.accessLogs = new LogGroup(this, "AccessLogs", {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
    });
    this.stage = new HttpStage(this, "DefaultStage", {
      httpApi: this.api,
      stageName: "$default",
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(HTTP_ACCESS_LOG_FORMAT)),
      },
    });

    const routes = new Map<string, HttpRoute>();
    for (const route of props.routes) {
      const key = `${route.method} ${route.path}`;
      const routeId = constructId(`${route.method.toLowerCase()} ${route.path}`);
      routes.set(
        key,
        new HttpRoute(this, `${routeId}Route`, {
          httpApi: this.api,
          routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
          integration: new HttpLambdaIntegration(`${routeId}Integration`, props.functionFor(route.function)),
        }),
      );
    }
    this.routes = routes;
  }

  /** The base URL clients call (`https://{api}.execute-api.{region}.amazonaws.com/`). */
  get url(): string {
    return this.stage.url;
  }
}
