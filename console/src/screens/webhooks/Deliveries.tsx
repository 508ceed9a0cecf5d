// Webhook deliveries, one page a query: every one in scope, or one endpoint's.
import { useState } from "react";
import { Link } from "wouter";
import type { WebhookDeliveryStatus } from "../../gql/graphql";
import { useActions } from "../../lib/action";
import { Allowed } from "../../lib/can";
import { dateTime } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { deliveryRetryAction } from "./actions";
import { WebhookDeliveriesQuery } from "./documents";

const STATUSES: readonly (WebhookDeliveryStatus | "")[] = ["", "PENDING", "SUCCEEDED", "FAILED"];

export function Deliveries({ endpointId, pageSize = 25 }: { endpointId?: string; pageSize?: number }) {
  const cursors = useCursors();
  const [status, setStatus] = useState<WebhookDeliveryStatus | "">("");
  const { data, errors, loading, refetch } = useQuery(WebhookDeliveriesQuery, {
    first: pageSize,
    after: cursors.after,
    filter: { endpointId: endpointId ?? null, status: status || null },
  });
  const { dialog, open } = useActions();
  const connection = data?.webhookDeliveries;
  return (
    <>
      <div className="toolbar">
        <label>
          Delivery status{" "}
          <select
            value={status}
            onChange={(event) => {
              cursors.reset();
              setStatus(event.target.value as WebhookDeliveryStatus | "");
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
      {dialog}
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Deliveries" aria-busy={loading}>
        <thead>
          <tr>
            <th>Event</th>
            {!endpointId && <th>Endpoint</th>}
            <th>Status</th>
            <th>Attempts</th>
            <th>Last answer</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>{node.eventType}</td>
              {!endpointId && (
                <td>
                  <code>{node.endpoint?.url}</code>
                  {node.endpoint?.customer && (
                    <div className="muted">
                      <Link href={`/customers/${node.endpoint.customer.id}`}>{node.endpoint.customer.name}</Link>
                    </div>
                  )}
                </td>
              )}
              <td>
                <span className={`badge ${node.status}`}>{node.status}</span>
                {node.nextAttemptAt && <div className="muted">next {dateTime(node.nextAttemptAt)}</div>}
              </td>
              <td>{node.attemptCount}</td>
              <td>{node.lastStatusCode ?? "—"}</td>
              <td>{dateTime(node.createdAt)}</td>
              <td>
                {node.status !== "SUCCEEDED" && (
                  <Allowed field="Mutation.webhookDeliveryRetry">
                    <button type="button" onClick={() => open(deliveryRetryAction(node, refetch))}>
                      Retry…
                    </button>
                  </Allowed>
                )}
              </td>
            </tr>
          ))}
          {connection && connection.edges.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No delivery.
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
