// A runtime setting's value as its editor shows it and as settingUpdate takes it. What the
// operator types is sent as typed when it is not of the key's type: the API's INVALID_VALUE
// then says why, next to the field.
import type { RuntimeSettingType } from "../../gql/graphql";
import { money } from "../../lib/format";
import type { FieldSpec } from "../../ui/Field";

export function fieldOf(type: RuntimeSettingType, value: unknown): FieldSpec {
  switch (type) {
    case "BOOLEAN":
      return { name: "value", label: "On", kind: "checkbox", initial: value === true };
    case "INT":
      return { name: "value", label: "Value (a whole number)", kind: "number", initial: value == null ? "" : String(value) };
    case "FLOAT":
      // Not an <input type=number>: its step would refuse 0.25 before the API could say anything.
      return { name: "value", label: "Value (a number)", initial: value == null ? "" : String(value) };
    case "STRING":
      return { name: "value", label: "Value", kind: "textarea", initial: typeof value === "string" ? value : "" };
    case "URL":
      return { name: "value", label: "URL", placeholder: "https://hooks.slack.com/…", initial: typeof value === "string" ? value : "" };
    case "MONEY":
    case "OBJECT":
      return {
        name: "value",
        label: type === "MONEY" ? 'Value as JSON ({"amount": minor units, "currency": "USD"})' : "Value as JSON",
        kind: "textarea",
        initial: JSON.stringify(value ?? {}, null, 1),
        help: type === "OBJECT" ? "The keys given are merged over the current value; null turns one off." : undefined,
      };
    default: {
      const unknown: never = type;
      return { name: "value", label: `Value (${String(unknown)})` };
    }
  }
}

export function inputOf(type: RuntimeSettingType, entered: string | boolean): unknown {
  if (typeof entered === "boolean") return entered;
  const text = entered.trim();
  switch (type) {
    case "BOOLEAN":
      return text === "true" ? true : text === "false" ? false : text;
    case "INT":
    case "FLOAT":
      return text !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
    case "MONEY":
    case "OBJECT":
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    default:
      return entered;
  }
}

export function display(type: RuntimeSettingType, value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (type === "BOOLEAN") return value === true ? "on" : "off";
  if (type === "MONEY" && typeof value === "object" && "amount" in value && "currency" in value) {
    return money(value as { amount: number; currency: string });
  }
  if (type === "OBJECT") {
    return Object.entries(value as Record<string, unknown>)
      .map(([name, item]) => `${name}: ${item === null ? "off" : String(item)}`)
      .join(", ");
  }
  return String(value);
}
