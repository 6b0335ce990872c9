/**
 * Decimal amount strings ("10.5", "999.99") to integer minor units by string arithmetic:
 * `Math.round(parseFloat(s) * 100)` is wrong for some inputs (binary floating point), and money
 * must be exact.
 */

export class InvalidAmountError extends Error {
  override readonly name = "InvalidAmountError";
}

const DECIMAL = /^(\d+)(?:\.(\d*))?$/;

/**
 * `decimals` is the currency's exponent (2 for INR). Extra fraction digits are accepted only when
 * they are zeros ("10.500" is 1050; "10.505" cannot be expressed in paise and is refused).
 */
export function decimalToMinorUnits(value: string, decimals = 2, max = Number.MAX_SAFE_INTEGER): number {
  const match = DECIMAL.exec(value.trim());
  if (!match) throw new InvalidAmountError(`"${value}" is not a non-negative decimal amount`);
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  const kept = fraction.slice(0, decimals).padEnd(decimals, "0");
  if (/[^0]/.test(fraction.slice(decimals))) {
    throw new InvalidAmountError(`"${value}" has more than ${decimals} decimal places`);
  }
  const minor = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(kept === "" ? "0" : kept);
  if (minor > BigInt(max)) throw new InvalidAmountError(`"${value}" is too large`);
  return Number(minor);
}
