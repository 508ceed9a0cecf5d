// Thresholds the alert loop saw crossed, newest first: FIRING until the figure is back under.
import { useState } from "react";
import { Link } from "wouter";
import type { AlertStatus } from "../../gql/graphql";
import { dateTime } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { AlertsQuery } from "./documents";

const PAGE_SIZE = 25;
const STATUSES: readonly (AlertStatus | "")[] = ["", "FIRING", "RESOLVED"];

function figure(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

export default function Alerts() {
  const cursors = useCursors();
  const [status, setStatus] = useState<AlertStatus | "">("");
  const { data, errors, loading } = useQuery(AlertsQuery, {
    first: PAGE_SIZE,
    after: cursors.after,
    filter: { status: status || null },
  });
  const connection = data?.alerts;
  return (
    <section>
      <h1>Alerts</h1>
      <div className="toolbar">
        <label>
          Status{" "}
          <select
            value={status}
            onChange={(event) => {
              cursors.reset();
              setStatus(event.target.value as AlertStatus | "");
            }}
          >
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value || "any"}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">
          Thresholds and the webhook they are posted to are <Link href="/settings">settings</Link> (alertThresholds,
          alertWebhookUrl).
        </span>
      </div>
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Alerts" aria-busy={loading}>
        <thead>
          <tr>
            <th>Kind</th>
            <th>Status</th>
            <th>Message</th>
            <th>Value / threshold</th>
            <th>Fired</th>
            <th>Resolved</th>
            <th>Posted</th>
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>
                <code>{node.kind}</code>
              </td>
              <td>
                <span className={`badge ${node.status}`}>{node.status}</span>
              </td>
              <td>{node.message}</td>
              <td>
                {figure(node.value)} / {figure(node.threshold)}
              </td>
              <td>{dateTime(node.firedAt)}</td>
              <td>{dateTime(node.resolvedAt)}</td>
              <td>
                {node.delivered ? "yes" : "no"}
                {node.deliveryError && <div className="muted">{node.deliveryError}</div>}
              </td>
            </tr>
          ))}
          {connection && connection.edges.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No alert.
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
    </section>
  );
}
