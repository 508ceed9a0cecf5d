"""Workload W5: `metrics { overview revenue }` latency on a large data set (PostgreSQL).

One run: a fresh database (`admiral_bench_metrics`), migrated, seeded with the bench's 20,000
users in 2,000 customers with their subscriptions (`admiral seed`), then, in SQL, a year of
billing on top: 12 paid invoices per subscribed customer, a history of three changes per
subscription (created, a price change, a cancel for one in ten) and a cost entry per day.
Admiral serves it with one uvicorn worker; the query is sent REQUESTS times one after another
(after a warm-up) and the latencies' p50 and p95 go to BENCH_METRICS_RESULTS
(bench/results-metrics.json). Target (issue: metrics): p50 at most 100 ms on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import asyncpg
from harness import admiral_env
from run import (
    BENCH,
    BIN,
    LOGS,
    SEED,
    USERS,
    admiral_cli,
    free_port,
    fresh_postgres,
    http,
    server,
    step,
    versions,
)

PG_DATABASE = "admiral_bench_metrics"
REQUESTS = int(os.environ.get("BENCH_METRICS_REQUESTS", "100"))
RESULTS = Path(os.environ.get("BENCH_METRICS_RESULTS", BENCH / "results-metrics.json"))
QUERY = """{ metrics {
  overview { usersTotal usersActive usersNew customersTotal customersActive activeSubscriptions
             mrr arr churnRate trialConversion unreadFeedback usageThisPeriod }
  revenue { mrr arr mrrByPlan { planCode subscribers mrr revenue costs grossMargin }
            movements { new expansion contraction churned reactivation net }
            revenue costs grossMargin refunds creditsGranted byDay { date revenue } }
} }"""

BILLING = [
    # A year of paid invoices for every subscription, one a month.
    """INSERT INTO invoices (id, customer_id, status, currency, subtotal, discount_total, tax_total,
        total, credit_applied, amount_due, amount_paid, credited_total, subscription_id,
        reverse_charge, created_at, finalized_at, paid_at)
       SELECT gen_random_uuid(), s.customer_id, 'PAID', s.currency, s.price_amount, 0,
              s.price_amount / 5, s.price_amount + s.price_amount / 5, 0, 0,
              s.price_amount + s.price_amount / 5, 0, s.id, false,
              now() - make_interval(days => 30 * m), now() - make_interval(days => 30 * m),
              now() - make_interval(days => 30 * m) + interval '1 hour'
       FROM subscriptions s CROSS JOIN generate_series(0, 11) AS m""",
    """INSERT INTO subscription_changes (id, customer_id, subscription_id, plan_id, action,
        status_before, status_after, mrr_before, mrr_after, currency, occurred_at)
       SELECT gen_random_uuid(), customer_id, id, plan_id, 'bench.create', NULL, 'ACTIVE', 0,
              price_amount, currency, now() - interval '300 days' FROM subscriptions""",
    """INSERT INTO subscription_changes (id, customer_id, subscription_id, plan_id, action,
        status_before, status_after, mrr_before, mrr_after, currency, occurred_at)
       SELECT gen_random_uuid(), customer_id, id, plan_id, 'bench.change', 'ACTIVE', 'ACTIVE',
              price_amount, price_amount + 100, currency,
              now() - make_interval(days => (abs(hashtext(id::text)) % 60))
       FROM subscriptions""",
    """INSERT INTO subscription_changes (id, customer_id, subscription_id, plan_id, action,
        status_before, status_after, mrr_before, mrr_after, currency, occurred_at)
       SELECT gen_random_uuid(), customer_id, id, plan_id, 'bench.cancel', 'ACTIVE', 'CANCELED',
              price_amount + 100, 0, currency,
              now() - make_interval(days => (abs(hashtext(id::text)) % 20))
       FROM subscriptions WHERE abs(hashtext(id::text)) % 10 = 0""",
    """INSERT INTO cost_entries (id, incurred_on, category, amount, currency, description,
        created_at)
       SELECT gen_random_uuid(), current_date - d, (ARRAY['hosting','email','payments'])[1 + d % 3],
              1000 + d, 'USD', '', now() FROM generate_series(0, 364) AS d""",
    "VACUUM ANALYZE",
]


async def add_billing(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url)
    try:
        for statement in BILLING:
            await connection.execute(statement)
        return {
            table: await connection.fetchval(f"SELECT count(*) FROM {table}")
            for table in (
                "users",
                "customers",
                "subscriptions",
                "invoices",
                "subscription_changes",
                "cost_entries",
            )
        }
    finally:
        await connection.close()


def main() -> None:
    LOGS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, ExitStack() as servers:
        directory = Path(folder)
        step("fresh postgresql database")
        database = asyncio.run(fresh_postgres(os.environ.get("BENCH_PG_ADMIN"), PG_DATABASE))
        env = admiral_env(database, directory, ADMIRAL_SECRET_KEY=secrets.token_urlsafe(32))
        step(f"migrate, seed {USERS} users, a year of billing, analyze")
        admiral_cli(env, "db", "upgrade")
        admiral_cli(env, "seed", "--users", str(USERS), "--seed", str(SEED))
        rows = asyncio.run(add_billing(database.floor_url))
        key = admiral_cli(env, "keys", "create-master", "--name", "bench").strip()
        port = free_port()
        command = [str(BIN / "admiral"), "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", "1"]
        servers.enter_context(server("admiral-metrics", command, env, port))
        body = json.dumps({"query": QUERY}).encode()
        step(f"warm up, then {REQUESTS} requests one after another")
        for _ in range(5):
            answer = json.loads(http(port, "POST", "/graphql", body, f"Bearer {key}"))
            if answer.get("errors"):
                raise SystemExit(f"the query failed: {answer['errors']}")
        latencies = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            http(port, "POST", "/graphql", body, f"Bearer {key}")
            latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    results = {
        "workload": "W5 metrics { overview revenue }",
        "engine": database.version,
        "rows": rows,
        "requests": REQUESTS,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1),
        "max_ms": round(latencies[-1], 1),
        "target_p50_ms": 100,
        "versions": versions(),
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "versions"}, indent=2))
    if results["p50_ms"] > 100:
        sys.exit("p50 above 100 ms")


if __name__ == "__main__":
    main()
