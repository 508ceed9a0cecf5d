import { describe, expect, it } from "vitest";
import { display, fieldOf, inputOf } from "./values";

describe("a setting's editor", () => {
  it("is a field of the key's type, holding the value in force", () => {
    expect(fieldOf("INT", 30)).toMatchObject({ name: "value", kind: "number", initial: "30" });
    // A float is typed as text: a number input's step would refuse 0.25 on its own.
    expect(fieldOf("FLOAT", 0.25)).toMatchObject({ name: "value", initial: "0.25" });
    expect(fieldOf("FLOAT", 0.25).kind).toBeUndefined();
    expect(fieldOf("STRING", "Back soon.")).toMatchObject({ kind: "textarea", initial: "Back soon." });
    expect(fieldOf("BOOLEAN", true)).toMatchObject({ kind: "checkbox", initial: true });
    expect(fieldOf("MONEY", { amount: 100, currency: "USD" }).initial).toBe('{\n "amount": 100,\n "currency": "USD"\n}');
  });

  it("sends numbers as numbers and what is not of the type as typed, for the API to refuse", () => {
    expect(inputOf("INT", " 45 ")).toBe(45);
    expect(inputOf("FLOAT", "0.5")).toBe(0.5);
    expect(inputOf("INT", "forty")).toBe("forty");
    expect(inputOf("INT", "")).toBe("");
    expect(inputOf("OBJECT", '{"runwayDays": null}')).toEqual({ runwayDays: null });
    expect(inputOf("MONEY", "{amount")).toBe("{amount");
    expect(inputOf("BOOLEAN", true)).toBe(true);
    // The API trims a string itself.
    expect(inputOf("STRING", "  kept as typed ")).toBe("  kept as typed ");
  });

  it("reads values the way an operator says them", () => {
    expect(display("BOOLEAN", true)).toBe("on");
    expect(display("BOOLEAN", false)).toBe("off");
    expect(display("MONEY", { amount: 123456, currency: "USD" })).toBe("1,234.56 USD");
    expect(display("OBJECT", { runwayDays: 90, errorRatePercent: null })).toBe("runwayDays: 90, errorRatePercent: off");
    expect(display("URL", null)).toBe("—");
    expect(display("INT", 0)).toBe("0");
  });
});
