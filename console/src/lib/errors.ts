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
}

export function fieldKey(path: readonly string[] | null): string | null {
  if (!path || path.length === 0) return null;
  const rest = path[0] === "input" ? path.slice(1) : path;
  return rest.length > 0 ? rest.join(".") : null;
}

export function groupErrors(
  errors: readonly UserError[],
  knownFields: readonly string[],
): ErrorsByField {
  const byField: Record<string, string[]> = {};
  const general: string[] = [];
  for (const error of errors) {
    const key = fieldKey(error.field);
    if (key !== null && knownFields.includes(key)) {
      (byField[key] ??= []).push(error.message);
    } else {
      general.push(key ? `${key}: ${error.message}` : error.message);
    }
  }
  return { byField, general };
}
