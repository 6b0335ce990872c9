/**
 * The part of an HTTP request a webhook verifier needs: the exact body bytes and the headers.
 * Signatures cover bytes, so the body is a Buffer from the start and is only parsed after it has
 * been verified.
 */

export type WebhookHeaders = Readonly<Record<string, string | undefined>>;

export interface WebhookRequest {
  readonly rawBody: Buffer;
  readonly headers: WebhookHeaders;
}

/** Header lookup ignoring case: API Gateway v2 lower-cases names, other callers may not. */
export function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The body fields of an API Gateway HTTP API (v2) event, structurally, so no event type leaks in. */
export interface EncodedBody {
  readonly body?: string | undefined;
  readonly isBase64Encoded?: boolean | undefined;
}

/**
 * The exact bytes the provider sent. API Gateway base64-encodes bodies it considers binary (form
 * posts such as PayU's, by default); decoding a text body as UTF-8 gives back its original bytes.
 */
export function rawBodyOf(event: EncodedBody): Buffer {
  if (event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
}
