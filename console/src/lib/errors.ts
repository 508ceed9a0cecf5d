// userErrors name the input field at fault as a path, e.g. ["input", "email"]; the console shows
// each next to the form field of that name, and the rest above the form.
export interface UserError {
  field: readonly string[] | null;
  message: string;
  code: string;
}

export interface ErrorsByField {
  byField: Record<string, string[]>;
  general: string[];
  /** The codes of the general ones, shown with them (MAINTENANCE_MODE says more than a message). */
  generalCodes: string[];
}

export function fieldKey(path: readonly string[] | null): string | null {
  if (!path || path.length === 0) return null;
  const rest = path[0] === "input" ? path.slice(1) : path;
  return rest.length > 0 ? rest.join(".") : null;
}

/**
 * The form field a path below `input` names: itself, or for an item of a list the form edits
 * one of (`items.0.amount`, `amount.amount`), the nearest known field along the path.
 */
export function formFieldOf(key: string, knownFields: readonly string[]): string | null {
  if (knownFields.includes(key)) return key;
  const parts = key.split(".");
  for (let end = parts.length - 1; end >= 1; end--) {
    const prefix = parts.slice(0, end).join(".");
    if (knownFields.includes(prefix)) return prefix;
  }
  const last = parts[parts.length - 1];
  return parts.length > 1 && knownFields.includes(last) ? last : null;
}

export function groupErrors(
  errors: readonly UserError[],
  knownFields: readonly string[],
): ErrorsByField {
  const byField: Record<string, string[]> = {};
  const general: string[] = [];
  const generalCodes: string[] = [];
  for (const error of errors) {
    const key = fieldKey(error.field);
    const field = key === null ? null : formFieldOf(key, knownFields);
    if (field !== null) {
      (byField[field] ??= []).push(error.message);
    } else {
      general.push(key ? `${key}: ${error.message}` : error.message);
      if (!generalCodes.includes(error.code)) generalCodes.push(error.code);
    }
  }
  return { byField, general, generalCodes };
}
