/**
 * Constant-time comparison of a computed digest with the hex string a provider sent. The hex is
 * decoded to bytes first, so upper- and lower-case hex both match; anything that is not whole hex
 * of the digest's length fails before `timingSafeEqual` (which throws on unequal lengths).
 */
import { timingSafeEqual } from "node:crypto";

const HEX = /^[0-9a-fA-F]+$/;

export function hexDigestMatches(expected: Buffer, givenHex: string): boolean {
  if (givenHex.length !== expected.length * 2 || !HEX.test(givenHex)) return false;
  return timingSafeEqual(expected, Buffer.from(givenHex, "hex"));
}
