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
