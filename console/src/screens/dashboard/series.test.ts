import { describe, expect, it } from "vitest";
import { costRows, funnelRows, lastDays, previousMonth, scenarioRows, usageRows } from "./series";

const usd = (amount: number) => ({ amount, currency: "USD" });

describe("usageRows", () => {
  it("makes one row per day with a key per metric, zero where a metric had nothing", () => {
    const { rows, metrics } = usageRows([
      { date: "2026-01-02", metric: "requests", quantity: 5 },
      { date: "2026-01-01", metric: "requests", quantity: 3 },
      { date: "2026-01-02", metric: "storage", quantity: 7 },
    ]);
    expect(metrics).toEqual(["requests", "storage"]);
    expect(rows).toEqual([
      { date: "2026-01-01", requests: 3, storage: 0 },
      { date: "2026-01-02", requests: 5, storage: 7 },
    ]);
  });

  it("adds up repeated metric days", () => {
    const { rows } = usageRows([
      { date: "2026-01-01", metric: "requests", quantity: 3 },
      { date: "2026-01-01", metric: "requests", quantity: 4 },
    ]);
    expect(rows).toEqual([{ date: "2026-01-01", requests: 7 }]);
  });
});

describe("scenarioRows", () => {
  it("puts the three scenarios side by side by month, in major units", () => {
    const { rows, names, currency } = scenarioRows([
      { name: "CONSERVATIVE", months: [{ month: "2026-02", mrr: usd(1000) }, { month: "2026-01", mrr: usd(900) }] },
      { name: "REALISTIC", months: [{ month: "2026-01", mrr: usd(950) }, { month: "2026-02", mrr: usd(1250) }] },
    ]);
    expect(names).toEqual(["CONSERVATIVE", "REALISTIC"]);
    expect(currency).toBe("USD");
    expect(rows).toEqual([
      { month: "2026-01", CONSERVATIVE: 9, REALISTIC: 9.5 },
      { month: "2026-02", CONSERVATIVE: 10, REALISTIC: 12.5 },
    ]);
  });

  it("has no currency without points", () => {
    expect(scenarioRows([]).currency).toBeNull();
  });
});

describe("funnelRows", () => {
  it("pairs each step with the range before, zero when it had none", () => {
    expect(
      funnelRows(
        [
          { name: "SIGNUP", count: 10 },
          { name: "PAID", count: 2 },
        ],
        [{ name: "SIGNUP", count: 8 }],
      ),
    ).toEqual([
      { name: "SIGNUP", current: 10, previous: 8 },
      { name: "PAID", current: 2, previous: 0 },
    ]);
  });
});

describe("costRows", () => {
  it("lines up the categories of both months", () => {
    expect(
      costRows([
        { label: "2026-01 (live)", byCategory: [{ category: "hosting", amount: usd(5000) }] },
        { label: "2026-02 (modeled)", byCategory: [{ category: "email", amount: usd(250) }, { category: "hosting", amount: usd(100) }] },
      ]),
    ).toEqual([
      { category: "email", "2026-01 (live)": 0, "2026-02 (modeled)": 2.5 },
      { category: "hosting", "2026-01 (live)": 50, "2026-02 (modeled)": 1 },
    ]);
  });
});

describe("ranges", () => {
  const now = new Date("2026-03-01T23:30:00Z");
  it("ends the last days today, in UTC", () => {
    expect(lastDays(30, now)).toEqual({ from: "2026-01-31", to: "2026-03-01" });
    expect(lastDays(1, now)).toEqual({ from: "2026-03-01", to: "2026-03-01" });
  });
  it("names the month before, across a year", () => {
    expect(previousMonth(now)).toBe("2026-02");
    expect(previousMonth(new Date("2026-01-15T00:00:00Z"))).toBe("2025-12");
  });
});
