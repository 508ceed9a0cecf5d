import { describe, expect, it } from "vitest";
import { amountOrNull, count, money, parseAmount, percent, timeLeft } from "./format";

describe("timeLeft", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it("counts minutes, hours and days", () => {
    expect(timeLeft("2026-01-01T00:14:40Z", now)).toBe("15 min");
    expect(timeLeft("2026-01-01T02:05:00Z", now)).toBe("2 h 5 min");
    expect(timeLeft("2026-01-04T04:00:00Z", now)).toBe("3 d 4 h");
    expect(timeLeft("2025-12-31T00:00:00Z", now)).toBe("0 min");
  });
});

describe("money", () => {
  it("reads minor units in the currency's decimals", () => {
    expect(money({ amount: 123456, currency: "USD" })).toBe("1,234.56 USD");
    expect(money({ amount: -9900, currency: "EUR" })).toBe("-99.00 EUR");
    expect(money({ amount: 1500, currency: "JPY" })).toBe("1,500 JPY");
    expect(money(null)).toBe("—");
  });
});

describe("parseAmount", () => {
  it("turns what an operator types into minor units", () => {
    expect(parseAmount("12.5")).toBe(1250);
    expect(parseAmount("1,200.00")).toBe(120000);
    expect(parseAmount(" 3 ")).toBe(300);
    expect(parseAmount("-0.01")).toBe(-1);
    expect(parseAmount("12.")).toBe(1200);
    expect(parseAmount("1500", "JPY")).toBe(1500);
  });

  it("refuses what is not an amount of the currency", () => {
    expect(parseAmount("")).toBeNull();
    expect(parseAmount("abc")).toBeNull();
    expect(parseAmount("1.234")).toBeNull();
    expect(parseAmount("1.5", "JPY")).toBeNull();
    expect(parseAmount("1e3")).toBeNull();
    expect(parseAmount("99999999999999999999")).toBeNull();
  });

  it("says a typo instead of sending it", () => {
    expect(amountOrNull("", "USD")).toBeNull();
    expect(amountOrNull("10.50", "USD")).toBe(1050);
    expect(() => amountOrNull("ten", "USD")).toThrow("is not an amount of USD");
  });
});

describe("percent and count", () => {
  it("reads ratios and counts", () => {
    expect(percent(0.1234)).toBe("12.3 %");
    expect(percent(null)).toBe("—");
    expect(count(1234567)).toBe("1,234,567");
  });
});
