import { describe, expect, it } from "vitest";
import type { SystemFieldsFragment } from "../../gql/graphql";
import { duration, ms, parts } from "./health";

const healthy: SystemFieldsFragment = {
  version: "0.1.0",
  uptimeSeconds: 12,
  status: "OK",
  database: { ok: true, latencyMs: 1.25, migrationHead: "0016_x", migrationsAtHead: true, pool: { size: 5, inUse: 1 }, error: null },
  redis: { configured: false, ok: false, latencyMs: null },
  queues: [
    { name: "emails", loop: "mail-dispatcher", pending: 2, running: 0, failed: 0, oldestAgeSeconds: 3, status: "OK" },
    { name: "webhook_deliveries", loop: "webhook-dispatcher", pending: 0, running: 0, failed: 11, oldestAgeSeconds: null, status: "DEGRADED" },
  ],
  usageAggregator: null,
  stripe: { configured: true, reachable: false },
  dependencies: [{ name: "smtp", url: "smtp://mail:25", ok: true, latencyMs: 40, error: null }],
};

describe("the system report's parts", () => {
  it("say each part's state", () => {
    expect(parts(healthy).map((part) => [part.name, part.status, part.detail])).toEqual([
      ["Database", "OK", "1.3 ms"],
      ["Redis", "UNCONFIGURED", "not configured"],
      ["emails", "OK", "2 pending, 0 failed"],
      ["webhook_deliveries", "DEGRADED", "0 pending, 11 failed"],
      ["Usage aggregator", "UNCONFIGURED", "not running here"],
      ["Stripe", "DEGRADED", "not reachable"],
      ["smtp", "OK", "40 ms"],
    ]);
  });

  it("count a database behind its migrations as degraded", () => {
    const behind = { ...healthy, database: { ...healthy.database, migrationsAtHead: false } };
    expect(parts(behind)[0]).toMatchObject({ status: "DEGRADED", detail: "migrations behind (0016_x)" });
  });
});

describe("durations", () => {
  it("read in the largest units that matter", () => {
    expect(duration(null)).toBe("—");
    expect(duration(42.4)).toBe("42 s");
    expect(duration(185)).toBe("3 min 5 s");
    expect(duration(7800)).toBe("2 h 10 min");
    expect(duration(4 * 86400 + 3 * 3600)).toBe("4 d 3 h");
    expect(ms(1234.4)).toBe("1,234 ms");
  });
});
