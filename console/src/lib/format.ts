export function dateTime(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/** "14 min", "2 h 5 min", "3 d 4 h": what is left until `until`, from `now`. */
export function timeLeft(until: string, now: number = Date.now()): string {
  const minutes = Math.max(0, Math.round((new Date(until).getTime() - now) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 1);
}

export interface Money {
  amount: number;
  currency: string;
}

// Currencies without minor units (ISO 4217 exponent 0) that an operator is likely to bill in.
const ZERO_DECIMAL = new Set(["JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX", "XAF", "XOF"]);

function exponent(currency: string): number {
  return ZERO_DECIMAL.has(currency.toUpperCase()) ? 0 : 2;
}

/** Minor units as an amount to read: {amount: 123456, currency: "USD"} → "1,234.56 USD". */
export function money(value: Money | null | undefined): string {
  if (!value) return "—";
  const digits = exponent(value.currency);
  const major = value.amount / 10 ** digits;
  const text = major.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${text} ${value.currency}`;
}

/** The major units of a Money, for charts. */
export function major(value: Money): number {
  return value.amount / 10 ** exponent(value.currency);
}

/**
 * What an operator types ("12.5", "1,200.00", "-3") as minor units of `currency`; null when it is
 * not an amount or has more decimals than the currency has.
 */
export function parseAmount(text: string, currency = "USD"): number | null {
  const cleaned = text.trim().replace(/[,\s_]/g, "");
  const digits = exponent(currency);
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return null;
  const [, sign, whole, fraction = ""] = match;
  if (fraction.length > digits) return null;
  const minor = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
  if (!Number.isSafeInteger(minor)) return null;
  return sign ? -minor : minor;
}

/** A ratio (0.123) as a percentage to read ("12.3 %"); "—" for null. */
export function percent(ratio: number | null | undefined, digits = 1): string {
  if (ratio == null || Number.isNaN(ratio)) return "—";
  return `${(ratio * 100).toFixed(digits)} %`;
}

/** A count to read: 1234567 → "1,234,567". */
export function count(value: number | null | undefined): string {
  return value == null ? "—" : value.toLocaleString("en-US");
}

/** An amount typed in major units ("10.50") as minor units; a typo is said, not sent. */
export function amountOrNull(value: string | boolean, currency: string): number | null {
  const text = String(value).trim();
  if (text === "") return null;
  const minor = parseAmount(text, currency);
  if (minor === null) throw new Error(`“${text}” is not an amount of ${currency}.`);
  return minor;
}
