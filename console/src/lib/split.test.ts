import { describe, expect, it } from "vitest";
import { isoDateTime, optional, splitList } from "./split";

describe("splitList", () => {
  it("splits on commas and new lines, dropping blanks", () => {
    expect(splitList("a, b ,,c\nd")).toEqual(["a", "b", "c", "d"]);
    expect(splitList("")).toEqual([]);
  });
});

describe("optional", () => {
  it("sends nothing for an empty field", () => {
    expect(optional("  ")).toBeNull();
    expect(optional(" x ")).toBe("x");
  });
});

describe("isoDateTime", () => {
  it("reads a date or a local date-time as UTC", () => {
    expect(isoDateTime("2027-01-31")).toBe("2027-01-31T00:00:00.000Z");
    expect(isoDateTime("2027-01-31T12:30")).toBe("2027-01-31T12:30:00.000Z");
    expect(isoDateTime("2027-01-31T12:30:00+02:00")).toBe("2027-01-31T10:30:00.000Z");
  });
  it("is null for nothing or not a date", () => {
    expect(isoDateTime("")).toBeNull();
    expect(isoDateTime("soon")).toBeNull();
  });
});
