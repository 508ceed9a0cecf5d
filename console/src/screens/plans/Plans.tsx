import { useState } from "react";
import type { PlanStatus } from "../../gql/graphql";
import { useActions } from "../../lib/action";
import { Allowed } from "../../lib/can";
import { count, money } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { PlanArchiveMutation, PlansQuery, PlanUnarchiveMutation } from "./documents";

const STATUSES: readonly PlanStatus[] = ["ACTIVE", "ARCHIVED"];

function limit(value: number | string | null | undefined, unit = ""): string {
  return value == null ? "unlimited" : `${count(Number(value))}${unit}`;
}

export default function Plans() {
  const cursors = useCursors();
  const [status, setStatus] = useState<PlanStatus>("ACTIVE");
  const { data, errors, loading, refetch } = useQuery(PlansQuery, {
    first: 25,
    after: cursors.after,
    filter: { status },
  });
  const { dialog, open } = useActions();
  const connection = data?.plans;
  return (
    <section>
      <h1>Plans</h1>
      <div className="toolbar">
        <label>
          Status{" "}
          <select
            value={status}
            onChange={(event) => {
              cursors.reset();
              setStatus(event.target.value as PlanStatus);
            }}
          >
            {STATUSES.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
      </div>
      {dialog}
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Plans" aria-busy={loading}>
        <thead>
          <tr>
            <th>Plan</th>
            <th>Price</th>
            <th>Trial</th>
            <th>Limits</th>
            <th>Subscribers</th>
            <th>MRR</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>
                {node.name} <code>{node.code}</code>
                <div className="muted">
                  v{node.version} {node.description}
                </div>
              </td>
              <td>
                {money(node.price)} / {node.interval.toLowerCase()}
              </td>
              <td>{node.trialDays ? `${node.trialDays} days` : "—"}</td>
              <td className="muted">
                {limit(node.limits.monthlyQuota)} a month, {limit(node.limits.ratePerSecond)} req/s,{" "}
                {limit(node.limits.seats)} seats, SLA {node.limits.slaPercent == null ? "—" : `${String(node.limits.slaPercent)} %`}
              </td>
              <td>{count(node.subscribersCount)}</td>
              <td>{money(node.mrr)}</td>
              <td>
                <span className={`badge ${node.status}`}>{node.status}</span>
              </td>
              <td>
                {node.status === "ACTIVE" ? (
                  <Allowed field="Mutation.planArchive">
                    <button
                      type="button"
                      onClick={() =>
                        open({
                          title: `Archive ${node.name}`,
                          document: PlanArchiveMutation,
                          variables: () => ({ input: { code: node.code } }),
                          preview: (payload) => (
                            <p>
                              Status becomes <strong data-testid="preview-status">{payload.plan?.status}</strong>; its{" "}
                              {payload.plan?.subscribersCount} subscriber(s) keep it, new customers cannot choose it.
                            </p>
                          ),
                          confirmLabel: "Archive",
                          danger: true,
                          onDone: refetch,
                        })
                      }
                    >
                      Archive…
                    </button>
                  </Allowed>
                ) : (
                  <Allowed field="Mutation.planUnarchive">
                    <button
                      type="button"
                      onClick={() =>
                        open({
                          title: `Unarchive ${node.name}`,
                          document: PlanUnarchiveMutation,
                          variables: () => ({ input: { code: node.code } }),
                          preview: (payload) => (
                            <p>
                              Status becomes <strong data-testid="preview-status">{payload.plan?.status}</strong>.
                            </p>
                          ),
                          confirmLabel: "Unarchive",
                          onDone: refetch,
                        })
                      }
                    >
                      Unarchive…
                    </button>
                  </Allowed>
                )}
              </td>
            </tr>
          ))}
          {connection && connection.edges.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                No plan.
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
