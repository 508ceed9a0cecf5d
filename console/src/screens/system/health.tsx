// The system report's parts as the System screen and the dashboard's panel show them.
import type { SystemFieldsFragment as SystemReport } from "../../gql/graphql";
import { count } from "../../lib/format";

export type Status = "OK" | "DEGRADED" | "UNCONFIGURED";

export function Badge({ status, label }: { status: Status; label?: string }) {
  return <span className={`badge ${status}`}>{label ?? status}</span>;
}

export function okOr(ok: boolean): Status {
  return ok ? "OK" : "DEGRADED";
}

export function ms(value: number | null | undefined): string {
  return value == null ? "—" : `${value < 10 ? value.toFixed(1) : count(Math.round(value))} ms`;
}

/** "42 s", "3 min 5 s", "2 h 10 min", "4 d 3 h". */
export function duration(seconds: number | null | undefined): string {
  if (seconds == null) return "—";
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return whole % 60 ? `${minutes} min ${whole % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** Each part of the report with its state, for a summary line. */
export function parts(system: SystemReport): { name: string; status: Status; detail: string }[] {
  const aggregator = system.usageAggregator;
  return [
    {
      name: "Database",
      status: okOr(system.database.ok && system.database.migrationsAtHead),
      detail: system.database.ok
        ? system.database.migrationsAtHead
          ? ms(system.database.latencyMs)
          : `migrations behind (${system.database.migrationHead ?? "none"})`
        : (system.database.error ?? "down"),
    },
    {
      name: "Redis",
      status: system.redis.configured ? okOr(system.redis.ok) : "UNCONFIGURED",
      detail: system.redis.configured ? (system.redis.ok ? ms(system.redis.latencyMs) : "not answering") : "not configured",
    },
    ...system.queues.map((queue) => ({
      name: queue.name,
      status: queue.status,
      detail: `${count(queue.pending)} pending, ${count(queue.failed)} failed`,
    })),
    {
      name: "Usage aggregator",
      status: aggregator ? okOr(aggregator.errorsTotal === 0 || aggregator.lastError === null) : "UNCONFIGURED",
      detail: aggregator ? `lag ${duration(aggregator.lagSeconds)}` : "not running here",
    },
    {
      name: "Stripe",
      status: system.stripe.configured ? okOr(system.stripe.reachable === true) : "UNCONFIGURED",
      detail: system.stripe.configured ? (system.stripe.reachable ? "reachable" : "not reachable") : "not configured",
    },
    ...system.dependencies.map((dependency) => ({
      name: dependency.name,
      status: okOr(dependency.ok),
      detail: dependency.ok ? ms(dependency.latencyMs) : (dependency.error ?? "not answering"),
    })),
  ];
}
