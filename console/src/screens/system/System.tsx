// The system's health as the process answering sees it, and the background jobs of every
// queue, where a failed one is retried or given up.
import { useState } from "react";
import { Link } from "wouter";
import type { JobFieldsFragment as Job, JobQueue, JobStatus } from "../../gql/graphql";
import { useActions } from "../../lib/action";
import { Allowed } from "../../lib/can";
import { count, dateTime } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { jobDiscardAction, jobRetryAction } from "./actions";
import { JobsQuery, SystemQuery } from "./documents";
import { Badge, duration, ms, okOr } from "./health";

const PAGE_SIZE = 25;
const QUEUES: readonly (JobQueue | "")[] = ["", "WEBHOOK_DELIVERIES", "EMAILS", "PAYMENTS"];
const STATUSES: readonly (JobStatus | "")[] = ["", "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "DISCARDED"];

function Health() {
  const { data, errors, loading, refetch } = useQuery(SystemQuery, {});
  const system = data?.system;
  if (!system) {
    return loading ? (
      <div className="muted">Loading…</div>
    ) : (
      <div className="field-error">{errors.map((e) => e.message).join(" ") || "No report."}</div>
    );
  }
  const { database, redis, stripe, usageAggregator: aggregator } = system;
  return (
    <>
      <p>
        <span data-testid="system-status">
          <Badge status={system.status} />
        </span>{" "}
        version {system.version}, up {duration(system.uptimeSeconds)}{" "}
        <button type="button" onClick={refetch} disabled={loading}>
          Refresh
        </button>
      </p>
      <div className="grid">
        <div className="card" aria-label="Database" role="group">
          <h2>
            Database <Badge status={okOr(database.ok && database.migrationsAtHead)} />
          </h2>
          <dl className="props">
            <dt>Latency</dt>
            <dd>{ms(database.latencyMs)}</dd>
            <dt>Migration</dt>
            <dd>
              <code>{database.migrationHead ?? "—"}</code> {database.migrationsAtHead ? "(the newest)" : "(behind this version)"}
            </dd>
            <dt>Pool</dt>
            <dd>
              {database.pool.inUse} in use of {database.pool.size}
            </dd>
            {database.error && (
              <>
                <dt>Error</dt>
                <dd className="field-error">{database.error}</dd>
              </>
            )}
          </dl>
        </div>
        <div className="card" aria-label="Redis and Stripe" role="group">
          <h2>
            Redis <Badge status={redis.configured ? okOr(redis.ok) : "UNCONFIGURED"} label={redis.configured ? undefined : "not configured"} />
          </h2>
          {redis.configured && <p>Latency {ms(redis.latencyMs)}</p>}
          <h2>
            Stripe{" "}
            <Badge
              status={stripe.configured ? okOr(stripe.reachable === true) : "UNCONFIGURED"}
              label={stripe.configured ? (stripe.reachable ? "reachable" : "not reachable") : "not configured"}
            />
          </h2>
        </div>
        <div className="card" aria-label="Usage aggregator" role="group">
          <h2>Usage aggregator</h2>
          {aggregator ? (
            <dl className="props">
              <dt>Enabled</dt>
              <dd>{aggregator.enabled ? "yes" : "no"}</dd>
              <dt>Lag</dt>
              <dd>{duration(aggregator.lagSeconds)}</dd>
              <dt>Pending events</dt>
              <dd>{count(aggregator.pendingEvents)}</dd>
              <dt>Last flush</dt>
              <dd>
                {dateTime(aggregator.lastFlushAt)} ({ms(aggregator.lastFlushDurationMs)}), every {ms(aggregator.flushIntervalMs)}
              </dd>
              <dt>Rolled up</dt>
              <dd>{count(aggregator.flushedTotal)} events</dd>
              <dt>Errors</dt>
              <dd>
                {count(aggregator.errorsTotal)}
                {aggregator.lastError && <div className="field-error">{aggregator.lastError}</div>}
              </dd>
            </dl>
          ) : (
            <p className="muted">Not running in this process.</p>
          )}
        </div>
      </div>
      <h2>Queues</h2>
      <table aria-label="Queues">
        <thead>
          <tr>
            <th>Queue</th>
            <th>Status</th>
            <th>Pending</th>
            <th>Running</th>
            <th>Failed</th>
            <th>Oldest waiting</th>
            <th>Loop</th>
          </tr>
        </thead>
        <tbody>
          {system.queues.map((queue) => (
            <tr key={queue.name} data-testid={`queue-${queue.name}`}>
              <td>
                <code>{queue.name}</code>
              </td>
              <td>
                <Badge status={queue.status} />
              </td>
              <td>{count(queue.pending)}</td>
              <td>{count(queue.running)}</td>
              <td>{count(queue.failed)}</td>
              <td>{duration(queue.oldestAgeSeconds)}</td>
              <td className="muted">{queue.loop}</td>
            </tr>
          ))}
          {system.queues.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No queue: the database does not answer.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <h2>Outside services</h2>
      {system.dependencies.length === 0 ? (
        <p className="muted">None configured.</p>
      ) : (
        <table aria-label="Outside services">
          <thead>
            <tr>
              <th>Service</th>
              <th>Address</th>
              <th>Status</th>
              <th>Latency</th>
            </tr>
          </thead>
          <tbody>
            {system.dependencies.map((dependency) => (
              <tr key={dependency.name}>
                <td>{dependency.name}</td>
                <td>
                  <code>{dependency.url}</code>
                </td>
                <td>
                  <Badge status={okOr(dependency.ok)} />
                  {dependency.error && <div className="muted">{dependency.error}</div>}
                </td>
                <td>{ms(dependency.latencyMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Jobs() {
  const cursors = useCursors();
  const [queue, setQueue] = useState<JobQueue | "">("");
  const [status, setStatus] = useState<JobStatus | "">("");
  const { data, errors, loading, refetch } = useQuery(JobsQuery, {
    first: PAGE_SIZE,
    after: cursors.after,
    filter: { queue: queue || null, status: status || null },
  });
  const { dialog, open } = useActions();
  const connection = data?.jobs;
  const retryable = (job: Job) => job.status === "PENDING" || job.status === "FAILED" || job.status === "DISCARDED";
  const discardable = (job: Job) => job.status === "PENDING" || job.status === "FAILED";
  return (
    <>
      <h2>Jobs</h2>
      {dialog}
      <div className="toolbar">
        <label>
          Queue{" "}
          <select
            aria-label="Job queue"
            value={queue}
            onChange={(event) => {
              cursors.reset();
              setQueue(event.target.value as JobQueue | "");
            }}
          >
            {QUEUES.map((value) => (
              <option key={value} value={value}>
                {value || "any"}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status{" "}
          <select
            aria-label="Job status"
            value={status}
            onChange={(event) => {
              cursors.reset();
              setStatus(event.target.value as JobStatus | "");
            }}
          >
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value || "any"}
              </option>
            ))}
          </select>
        </label>
      </div>
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Jobs" aria-busy={loading}>
        <thead>
          <tr>
            <th>Queue</th>
            <th>Subject</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Last error</th>
            <th>Due</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={`${node.queue}:${node.id}`}>
              <td>
                <code>{node.queue}</code>
              </td>
              <td>
                {node.subject ?? "—"}
                {node.customerId && (
                  <div className="muted">
                    <Link href={`/customers/${node.customerId}`}>customer</Link>
                  </div>
                )}
              </td>
              <td>
                <span className={`badge ${node.status}`}>{node.status}</span>
              </td>
              <td>{node.attempts}</td>
              <td className="muted">{node.lastError ?? "—"}</td>
              <td>{dateTime(node.dueAt)}</td>
              <td>{dateTime(node.createdAt)}</td>
              <td>
                {retryable(node) && (
                  <Allowed field="Mutation.jobRetry">
                    <button type="button" onClick={() => open(jobRetryAction(node, refetch))}>
                      Retry…
                    </button>
                  </Allowed>
                )}
                {discardable(node) && (
                  <Allowed field="Mutation.jobDiscard">
                    <button type="button" onClick={() => open(jobDiscardAction(node, refetch))}>
                      Discard…
                    </button>
                  </Allowed>
                )}
              </td>
            </tr>
          ))}
          {connection && connection.edges.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                No job.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <Pager
        pageInfo={connection?.pageInfo}
        page={cursors.page}
        total={connection?.totalCount}
        onNext={() => cursors.next(connection?.pageInfo.endCursor ?? null)}
        onPrevious={cursors.previous}
      />
    </>
  );
}

export default function System() {
  return (
    <section>
      <h1>System</h1>
      <Health />
      <Jobs />
    </section>
  );
}
