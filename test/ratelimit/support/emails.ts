/** POST /v1/emails as the rate-limit tests send it: only the recipients (the emails cost) vary. */
import type { ApiResponse } from "#test/support/http.ts";
import { call } from "#test/support/http.ts";

/** `n` distinct recipients at `domain`. */
export const recipients = (n: number, domain = "example.com") =>
  Array.from({ length: n }, (_, i) => `u${i}@${domain}`);

export const sendEmail = (baseUrl: string, key: string, to: string | string[]): Promise<ApiResponse> =>
  call(baseUrl, "POST", "/v1/emails", { key, json: { to, subject: "s", text: "t" } });
