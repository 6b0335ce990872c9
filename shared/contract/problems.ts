/**
 * Every problem `type` the API answers with (RFC 9457), by slug under PROBLEM_BASE, with the
 * statuses it comes with. The OpenAPI document lists, for each error status, exactly the types
 * that status can carry, so a handler that invents a new type fails the contract tests until the
 * type is documented here.
 */
import * as z from "zod/mini";
import { PROBLEM_BASE } from "#shared/http/errors.ts";
import { meta } from "#shared/zod/meta.ts";

export interface ProblemTypeDoc {
  readonly statuses: readonly number[];
  readonly title: string;
  readonly description: string;
}

export const PROBLEM_TYPES = {
  "bad-request": {
    statuses: [400],
    title: "Bad request",
    description:
      "The request is malformed: invalid JSON, an empty body, a bad path or query parameter, an unknown cursor.",
  },
  "validation-failed": {
    statuses: [400],
    title: "Request validation failed",
    description: "One or more fields are invalid; `errors` has one entry per field (`path`, `message`).",
  },
  unauthorized: {
    statuses: [401],
    title: "Unauthorized",
    description: "No API key, or one that is unknown or revoked. Send `Authorization: Bearer <key>`.",
  },
  forbidden: {
    statuses: [403],
    title: "Forbidden",
    description: "The API key lacks the route's scope.",
  },
  "not-found": {
    statuses: [404],
    title: "Not found",
    description:
      "No such route, or no such resource for this key (another key's task is indistinguishable from a missing one).",
  },
  "idempotency-key-in-flight": {
    statuses: [409],
    title: "Conflict",
    description: "A request with this Idempotency-Key is still running; retry shortly.",
  },
  "payload-too-large": {
    statuses: [413],
    title: "Payload too large",
    description: "The body is over the limit (256 KiB by default), or the email would be too large to queue.",
  },
  "unsupported-media-type": {
    statuses: [415],
    title: "Unsupported media type",
    description: "A missing or wrong Content-Type, or a charset other than UTF-8.",
  },
  "idempotency-key-reused": {
    statuses: [422],
    title: "Unprocessable content",
    description: "The Idempotency-Key was used before with a different body.",
  },
  "cost-exceeds-capacity": {
    statuses: [422],
    title: "Request exceeds the rate limit's capacity",
    description: "The request costs more units than the policy's capacity; no wait would help. Split it.",
  },
  "recipient-suppressed": {
    statuses: [422],
    title: "Recipient suppressed",
    description:
      'A recipient is on the suppression list (it bounced hard or complained); `errors` names each (`path` `to.<i>`). Nothing was queued. Send with `suppressed: "skip"` to send to the others; `npm run suppression -- remove` clears an address.',
  },
  "rate-limited": {
    statuses: [429],
    title: "Too many requests",
    description: "A rate-limit policy has no units left; wait `Retry-After` seconds.",
  },
  "webhook-header-missing": {
    statuses: [400],
    title: "Webhook header missing",
    description: "The provider's signature (or event id) header is missing.",
  },
  "webhook-body-malformed": {
    statuses: [400],
    title: "Webhook body malformed",
    description: "The signed body is not an event of the provider's documented shape.",
  },
  "webhook-signature-invalid": {
    statuses: [401],
    title: "Webhook signature invalid",
    description: "The signature does not match the raw body under any configured secret.",
  },
  "webhook-timestamp-out-of-tolerance": {
    statuses: [401],
    title: "Webhook timestamp outside tolerance",
    description: "The signed timestamp is too old or too far in the future (a replay).",
  },
  internal: {
    statuses: [500],
    title: "Internal server error",
    description: "Ferry failed; the body never carries internals. Quote `x-request-id`.",
  },
  "service-unavailable": {
    statuses: [503],
    title: "Service unavailable",
    description: "A dependency (Redis, the queue) did not answer in time; retry after `Retry-After` seconds.",
  },
  "configuration-incomplete": {
    statuses: [503],
    title: "Configuration incomplete",
    description:
      "The deployment is not fully configured yet (a secret not filled in); its operators are alerted. Retry later.",
  },
} as const satisfies Record<string, ProblemTypeDoc>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

export const problemTypeUri = (slug: string) => `${PROBLEM_BASE}${slug}`;

/** The problem types a status can carry. */
export function problemTypesFor(status: number): string[] {
  return Object.entries(PROBLEM_TYPES)
    .filter(([, doc]) => (doc.statuses as readonly number[]).includes(status))
    .map(([slug]) => problemTypeUri(slug));
}

/** RFC 9457 problem details as Ferry sends them. */
export const problemSchema = meta(
  z.object({
    type: meta(z.string(), {
      description: `A URI under ${PROBLEM_BASE}; see the problem types in the description`,
    }),
    title: z.string(),
    status: z.int().check(z.gte(400), z.lte(599)),
    detail: z.optional(z.string()),
    instance: meta(z.optional(z.string()), { description: "The request path" }),
    errors: meta(z.optional(z.array(z.object({ path: z.string(), message: z.string() }))), {
      description: "One entry per invalid field (validation-failed)",
    }),
  }),
  { id: "Problem", description: "RFC 9457 problem details (application/problem+json)" },
);
