/**
 * The small router behind the local runtime's own control API (`/local/...`: faults, DLQs, test
 * webhooks), which only `npm run dev` and the tests serve, never a deployed stack. It answers
 * JSON, and every error as the API's problem+json (shared/http/problem-response.ts) with the same
 * body rules as the functions (shared/http/json-body.ts: 415 for a non-JSON body, 400 for bad
 * JSON, 400 validation-failed with one entry per field), so a console can show any answer the
 * same way. Every response carries `x-request-id`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type * as z from "zod";
import { HttpError, payloadTooLarge } from "#shared/http/errors.ts";
import { parseJsonBody } from "#shared/http/json-body.ts";
import { problemResponse } from "#shared/http/problem-response.ts";
import type { LocalLog } from "../functions/lambda-context.ts";
import { gatewayRequestId } from "./gateway-request-context.ts";

/** Control requests are small; a larger body is a mistake, refused before it is buffered. */
const MAX_BODY_BYTES = 64 * 1024;

export interface LocalRequest {
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  /** The body parsed as JSON and checked against `schema` (HttpError 4xx otherwise). */
  json<S extends z.ZodType>(schema: S): Promise<z.infer<S>>;
}

export interface LocalAnswer {
  readonly status: number;
  readonly body?: unknown;
}

export interface LocalRoute {
  readonly method: "GET" | "POST" | "DELETE";
  /** Matched against the whole path; capture groups become `params` (URL-decoded). */
  readonly path: RegExp;
  readonly handle: (request: LocalRequest) => Promise<LocalAnswer> | LocalAnswer;
}

export interface LocalApi {
  /** Answers the request and returns true when its path is one of this API's. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.resume();
        reject(payloadTooLarge(MAX_BODY_BYTES));
      } else chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}

function send(
  res: ServerResponse,
  requestId: string,
  status: number,
  headers: Record<string, string>,
  body?: string,
) {
  res.writeHead(status, {
    ...headers,
    "x-request-id": requestId,
    ...(body !== undefined ? { "content-length": Buffer.byteLength(body) } : {}),
  });
  res.end(body);
}

function sendProblem(res: ServerResponse, requestId: string, error: unknown): void {
  const problem = problemResponse(error);
  send(
    res,
    requestId,
    problem.statusCode ?? 500,
    { ...(problem.headers as Record<string, string>) },
    String(problem.body ?? ""),
  );
}

export function createLocalApi(routes: readonly LocalRoute[], log: LocalLog): LocalApi {
  return {
    handle(req, res) {
      // Prefixed, not resolved against a base: a target like `//%ZZ` would be read as a host.
      const url = URL.parse(`http://local${req.url ?? "/"}`);
      // Not a path the control API could own: the gateway answers it (404 problem+json).
      if (!url) return false;
      const matching = routes.flatMap((route) => {
        const match = route.path.exec(url.pathname);
        return match ? [{ route, match }] : [];
      });
      if (matching.length === 0) return false;
      const requestId = gatewayRequestId();
      const startedAt = performance.now();
      res.once("finish", () =>
        log.request?.({
          method: req.method ?? "GET",
          path: url.pathname,
          status: res.statusCode,
          ms: Math.round(performance.now() - startedAt),
          requestId,
        }),
      );
      const chosen = matching.find(({ route }) => route.method === req.method);
      if (!chosen) {
        req.resume();
        const allow = [...new Set(matching.map(({ route }) => route.method))].join(", ");
        const error = new HttpError(405, {
          type: "method-not-allowed",
          title: "Method not allowed",
          detail: `${req.method ?? "?"} is not supported on ${url.pathname}; use ${allow}.`,
          headers: { allow },
        });
        sendProblem(res, requestId, error);
        return true;
      }
      let bodyRead = false;
      const request: LocalRequest = {
        params: chosen.match.slice(1).map((p) => decodeURIComponent(p ?? "")),
        query: url.searchParams,
        json: async (schema) => {
          bodyRead = true;
          const body = await readBody(req);
          return parseJsonBody(body, req.headers["content-type"], schema);
        },
      };
      Promise.resolve()
        .then(() => chosen.route.handle(request))
        .then(
          (answer) => {
            if (!bodyRead) req.resume();
            if (answer.body === undefined) return send(res, requestId, answer.status, {});
            send(
              res,
              requestId,
              answer.status,
              { "content-type": "application/json" },
              JSON.stringify(answer.body),
            );
          },
          (error: unknown) => {
            if (!bodyRead) req.resume();
            if (!(error instanceof HttpError))
              log.error(`Local API ${req.method} ${url.pathname} failed`, error);
            sendProblem(res, requestId, error);
          },
        );
      return true;
    },
  };
}
