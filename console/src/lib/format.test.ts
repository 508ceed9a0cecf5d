import { describe, expect, it } from "vitest";
import { timeLeft } from "./format";

describe("timeLeft", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it("counts minutes, hours and days", () => {
    expect(timeLeft("2026-01-01T00:14:40Z", now)).toBe("15 min");
    expect(timeLeft("2026-01-01T02:05:00Z", now)).toBe("2 h 5 min");
    expect(timeLeft("2026-01-04T04:00:00Z", now)).toBe("3 d 4 h");
    expect(timeLeft("2025-12-31T00:00:00Z", now)).toBe("0 min");
  });
});
