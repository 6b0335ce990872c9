/**
 * The POST /v1/emails body (DESIGN.md) and its validation. Addresses are checked with zod's
 * email rule; the subject may not contain line breaks (header injection); unknown fields are
 * rejected so that a typo (`body` for `text`) is reported instead of silently ignored.
 * Text may hold any Unicode scalar value, noncharacters such as U+FFFF included (they are valid
 * in interchange and survive the queue escaped, see sqs-body.ts); a lone surrogate is refused:
 * it has no UTF-8 encoding, so the recipient would get U+FFFD instead of what was sent.
 */
import * as z from "zod/mini";
import { meta } from "#shared/zod/meta.ts";

export const MAX_RECIPIENTS = 50;
export const MAX_REPLY_TO = 10;

/** With the `u` flag a surrogate class matches only unpaired halves; pairs are one code point. */
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (s: string) => !LONE_SURROGATE.test(s);
const WELL_FORMED = "must be well-formed Unicode: a lone surrogate (\\uD800–\\uDFFF) cannot be sent";
const text = () => z.string().check(z.refine(wellFormed, WELL_FORMED));

const address = z.email({ message: "must be a valid email address" }).check(z.maxLength(320));

/**
 * One address or a list of 1–`max`. A union's own error is a bare "Invalid input", which tells a
 * caller with 51 recipients nothing: say what the limit is and what was sent.
 */
const oneOrList = (max: number) =>
  z.union([address, z.array(address).check(z.minLength(1, "needs at least one address"), z.maxLength(max))], {
    error: (issue) => {
      if (issue.code !== "invalid_union") return undefined;
      const input: unknown = issue.input;
      if (Array.isArray(input) && input.length > max)
        return `at most ${max} addresses per request (got ${input.length})`;
      return `must be an email address or a list of 1–${max} addresses`;
    },
  });

/** SES's MessageTag charset (names and values): ASCII letters, digits, '_' and '-', ≤ 256. */
const SES_TAG = /^[A-Za-z0-9_-]+$/;
/** Ferry tags every message with its task id under this name. */
export const RESERVED_TAG = "ferry_task";

const tagName = z.string().check(
  z.minLength(1),
  z.maxLength(256),
  z.regex(SES_TAG, "tag names may contain only letters, digits, '_' and '-'"),
  z.refine((n) => n !== RESERVED_TAG, `the tag name ${RESERVED_TAG} is reserved`),
);
const tagValue = z
  .string()
  .check(z.maxLength(256), z.regex(SES_TAG, "tag values may contain only letters, digits, '_' and '-'"));

export const emailRequestSchema = z
  .strictObject({
    to: oneOrList(MAX_RECIPIENTS),
    subject: text().check(
      z.minLength(1),
      z.maxLength(998),
      z.refine((s) => !/[\r\n]/.test(s), "must not contain line breaks"),
    ),
    text: z.optional(text().check(z.minLength(1))),
    html: z.optional(text().check(z.minLength(1))),
    replyTo: z.optional(oneOrList(MAX_REPLY_TO)),
    tags: z.optional(
      z.record(tagName, tagValue).check(z.refine((t) => Object.keys(t).length <= 10, "at most 10 tags")),
    ),
    suppressed: meta(z.optional(z.enum(["reject", "skip"])), {
      description:
        "What to do with recipients on the suppression list (a hard bounce or a complaint put them there): " +
        "`reject` (default) answers 422 naming them and sends nothing; `skip` sends to the others and lists the skipped in the 202",
    }),
  })
  .check(
    z.refine((b) => b.text !== undefined || b.html !== undefined, {
      message: "give `text`, `html`, or both",
      path: ["text"],
    }),
  );

export type EmailRequest = z.infer<typeof emailRequestSchema>;

/** The normalized email the queue carries: recipient lists are always arrays. */
export interface EmailContent {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
  readonly replyTo?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
}

const asList = (v: string | readonly string[]): string[] => (typeof v === "string" ? [v] : [...v]);

export function normalizeEmail(request: EmailRequest): EmailContent {
  return {
    to: asList(request.to),
    subject: request.subject,
    ...(request.text !== undefined ? { text: request.text } : {}),
    ...(request.html !== undefined ? { html: request.html } : {}),
    ...(request.replyTo !== undefined ? { replyTo: asList(request.replyTo) } : {}),
    ...(request.tags !== undefined ? { tags: request.tags } : {}),
  };
}
