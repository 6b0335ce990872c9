/**
 * The JSON text Ferry puts in an SQS message body, with every character outside printable ASCII
 * written as a `\uXXXX` escape. SQS accepts only `#x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD
 * #x10000–#x10FFFF` in a body, so a raw U+FFFF or a lone surrogate (both valid in a JSON string)
 * is refused, and fauxqs, the local emulator, also refuses everything above U+FFFF (every emoji)
 * that real SQS takes. Escaped, any value JSON.stringify can write travels unchanged in both and
 * JSON.parse gives it back exactly. The cost: each escaped UTF-16 unit takes 6 bytes of the
 * 256 KiB message limit instead of 1–3.
 */

/** Characters that need no escape: printable ASCII (JSON.stringify already escapes controls). */
const NEEDS_ESCAPE = /[^\x20-\x7e]/g;

const unicodeEscape = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** JSON.stringify, then ASCII only. Outside strings JSON has no non-ASCII, so this stays valid JSON. */
export function sqsJsonBody(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError("an SQS message body must be a JSON value");
  return json.replace(NEEDS_ESCAPE, unicodeEscape);
}
