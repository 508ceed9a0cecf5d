import { describe, expect, it } from "vitest";
import { fieldKey, formFieldOf, groupErrors } from "./errors";

describe("userErrors next to their field", () => {
  it("names a form field by the path below `input`", () => {
    expect(fieldKey(["input", "email"])).toBe("email");
    expect(fieldKey(["input", "limits", "seats"])).toBe("limits.seats");
    expect(fieldKey(["input"])).toBeNull();
    expect(fieldKey(null)).toBeNull();
  });

  it("puts errors of unknown fields above the form, with their field", () => {
    const grouped = groupErrors(
      [
        { field: ["input", "email"], message: "Taken.", code: "EMAIL_TAKEN" },
        { field: ["input", "slug"], message: "Bad slug.", code: "INVALID" },
        { field: null, message: "Not allowed.", code: "FORBIDDEN" },
      ],
      ["email"],
    );
    expect(grouped.byField).toEqual({ email: ["Taken."] });
    expect(grouped.general).toEqual(["slug: Bad slug.", "Not allowed."]);
    expect(grouped.generalCodes).toEqual(["INVALID", "FORBIDDEN"]);
  });
});

describe("formFieldOf", () => {
  it("finds the form field of a nested path", () => {
    const fields = ["description", "amount", "quantity", "reason"];
    expect(formFieldOf("reason", fields)).toBe("reason");
    // A one-line invoice form: the line's amount is the form's amount.
    expect(formFieldOf("items.0.amount", fields)).toBe("amount");
    // Money inputs: the amount inside the amount.
    expect(formFieldOf("amount.currency", fields)).toBe("amount");
    expect(formFieldOf("items.0", fields)).toBeNull();
    expect(formFieldOf("slug", fields)).toBeNull();
  });
});
