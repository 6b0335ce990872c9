import { describe, expect, it } from "vitest";
import { decimalToMinorUnits, InvalidAmountError } from "#shared/payments/minor-units.ts";

describe("decimal amounts to minor units", () => {
  it.each([
    ["10.5", 1050],
    ["999.99", 99999],
    ["10", 1000],
    ["10.00", 1000],
    ["10.", 1000],
    ["0.01", 1],
    ["0", 0],
    ["10.500", 1050],
    // Where parseFloat(x) * 100 is not an integer: 1.15 * 100 = 114.99999999999999.
    ["1.15", 115],
    ["4.35", 435],
    ["90071992547409.91", 9007199254740991],
  ])("%s is %i minor units", (value, expected) => {
    expect(decimalToMinorUnits(value)).toBe(expected);
  });

  it("uses the currency's exponent", () => {
    expect(decimalToMinorUnits("1.5", 3)).toBe(1500);
    expect(decimalToMinorUnits("150", 0)).toBe(150);
  });

  it.each(["10.505", "-1", "1e3", "", "abc", "1,000.00", ".5", "0x10", "Infinity"])("refuses %j", (value) => {
    expect(() => decimalToMinorUnits(value)).toThrow(InvalidAmountError);
  });

  it("refuses amounts beyond the limit", () => {
    expect(() => decimalToMinorUnits("90071992547409.92")).toThrow(InvalidAmountError);
    expect(() => decimalToMinorUnits("100.01", 2, 10_000)).toThrow(InvalidAmountError);
  });
});
