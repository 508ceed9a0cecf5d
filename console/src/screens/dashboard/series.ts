// The dashboard's figures reshaped into the rows a chart draws: one row per x value, one key
// per series. Kept apart from the components so the reshaping is unit-tested.
import { major, type Money } from "../../lib/format";

export type Row = Record<string, string | number>;

/** Daily usage ({date, metric, quantity} per metric and day) → one row per day, a key per metric. */
export function usageRows(days: readonly { date: string; metric: string; quantity: number }[]): {
  rows: Row[];
  metrics: string[];
} {
  const metrics = [...new Set(days.map((day) => day.metric))].sort();
  const byDate = new Map<string, Row>();
  for (const day of days) {
    const row = byDate.get(day.date) ?? { date: day.date };
    row[day.metric] = ((row[day.metric] as number | undefined) ?? 0) + day.quantity;
    byDate.set(day.date, row);
  }
  const rows = [...byDate.values()].sort((a, b) => String(a.date).localeCompare(String(b.date)));
  // A metric without events on a day drew no point: a zero keeps the line continuous.
  for (const row of rows) for (const metric of metrics) row[metric] ??= 0;
  return { rows, metrics };
}

/** The prediction scenarios ({name, months: [{month, mrr}]}) → one row per month, a key per scenario. */
export function scenarioRows(
  scenarios: readonly { name: string; months: readonly { month: string; mrr: Money }[] }[],
): { rows: Row[]; names: string[]; currency: string | null } {
  const names = scenarios.map((scenario) => scenario.name);
  const byMonth = new Map<string, Row>();
  let currency: string | null = null;
  for (const scenario of scenarios) {
    for (const point of scenario.months) {
      const row = byMonth.get(point.month) ?? { month: point.month };
      row[scenario.name] = major(point.mrr);
      currency ??= point.mrr.currency;
      byMonth.set(point.month, row);
    }
  }
  const rows = [...byMonth.values()].sort((a, b) => String(a.month).localeCompare(String(b.month)));
  return { rows, names, currency };
}

/** The funnel's steps this range and the range before, side by side, by step name. */
export function funnelRows(
  current: readonly { name: string; count: number }[],
  previous: readonly { name: string; count: number }[],
): { name: string; current: number; previous: number }[] {
  const before = new Map(previous.map((step) => [step.name, step.count]));
  return current.map((step) => ({ name: step.name, current: step.count, previous: before.get(step.name) ?? 0 }));
}

/** Costs by category of two months side by side (either may lack a category). */
export function costRows(
  months: readonly { label: string; byCategory: readonly { category: string; amount: Money }[] }[],
): Row[] {
  const categories = [...new Set(months.flatMap((month) => month.byCategory.map((c) => c.category)))].sort();
  return categories.map((category) => {
    const row: Row = { category };
    for (const month of months) {
      const found = month.byCategory.find((c) => c.category === category);
      row[month.label] = found ? major(found.amount) : 0;
    }
    return row;
  });
}

/** The UTC dates of the last `days` days, ending today: the dashboard's range. */
export function lastDays(days: number, now: Date = new Date()): { from: string; to: string } {
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const from = new Date(to.getTime() - (days - 1) * 86_400_000);
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

/** The month before `now`'s, as `YYYY-MM` (UTC). */
export function previousMonth(now: Date = new Date()): string {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return first.toISOString().slice(0, 7);
}
