/** "a, b ,,c" → ["a", "b", "c"]: a list typed into one field. */
export function splitList(text: string | boolean): string[] {
  return String(text)
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** "" → null, else the trimmed text: an optional input left empty is not sent. */
export function optional(value: string | boolean): string | null {
  const text = String(value).trim();
  return text === "" ? null : text;
}

/** A datetime-local or date field's value as ISO 8601 UTC; null when empty or not a date. */
export function isoDateTime(value: string | boolean): string | null {
  const text = String(value).trim();
  if (text === "") return null;
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.length === 10 ? `${text}T00:00` : text}Z`;
  const date = new Date(withZone);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
