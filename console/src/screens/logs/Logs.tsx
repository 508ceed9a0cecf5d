// Stored log entries, newest first, one page a query. The filters live in the address, so a
// request id or an error group's entries can be linked to from elsewhere.
import { useState } from "react";
import { useLocation, useSearch } from "wouter";
import type { LogLevel } from "../../gql/graphql";
import { useActions } from "../../lib/action";
import { Allowed } from "../../lib/can";
import { count, dateTime, json } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { logTestAction, logsPruneAction } from "./actions";
import { LogsQuery } from "./documents";

const PAGE_SIZE = 50;
const LEVELS: readonly LogLevel[] = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
const FILTERS = ["level", "search", "requestId", "operationName", "fingerprint"] as const;
type Filter = (typeof FILTERS)[number];

function levelOf(value: string | null): LogLevel | null {
  return LEVELS.find((level) => level === value) ?? null;
}

export function logsLink(filter: Partial<Record<Filter, string>>): string {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (filter[name]) params.set(name, filter[name]);
  return params.size ? `/logs?${params}` : "/logs";
}

export default function Logs() {
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const current = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ""])) as Record<Filter, string>;
  const [draft, setDraft] = useState<Record<Filter, string>>(current);
  const cursors = useCursors();
  const { dialog, open } = useActions();
  const { data, errors, loading, refetch } = useQuery(LogsQuery, {
    first: PAGE_SIZE,
    after: cursors.after,
    filter: {
      level: levelOf(current.level),
      search: current.search || null,
      requestId: current.requestId || null,
      operationName: current.operationName || null,
      fingerprint: current.fingerprint || null,
    },
  });
  const connection = data?.logs;

  function apply(next: Record<Filter, string>) {
    const trimmed = Object.fromEntries(FILTERS.map((name) => [name, next[name].trim()])) as Record<Filter, string>;
    setDraft(trimmed);
    cursors.reset();
    navigate(logsLink(trimmed));
  }

  return (
    <section>
      <h1>Logs</h1>
      {dialog}
      <form
        className="toolbar"
        role="search"
        aria-label="Log filters"
        onSubmit={(event) => {
          event.preventDefault();
          apply(draft);
        }}
      >
        <label>
          Level{" "}
          <select aria-label="Level" value={draft.level} onChange={(e) => setDraft({ ...draft, level: e.target.value })}>
            <option value="">any</option>
            {LEVELS.map((level) => (
              <option key={level} value={level}>
                {level} and above
              </option>
            ))}
          </select>
        </label>
        <input type="search" aria-label="Message contains" placeholder="Message contains…" maxLength={100} value={draft.search} onChange={(e) => setDraft({ ...draft, search: e.target.value })} />
        <input aria-label="Request id" placeholder="Request id" value={draft.requestId} onChange={(e) => setDraft({ ...draft, requestId: e.target.value })} />
        <input aria-label="Operation" placeholder="Operation name" value={draft.operationName} onChange={(e) => setDraft({ ...draft, operationName: e.target.value })} />
        <button type="submit">Filter</button>
        {FILTERS.some((name) => current[name]) && (
          <button type="button" onClick={() => apply({ level: "", search: "", requestId: "", operationName: "", fingerprint: "" })}>
            Clear
          </button>
        )}
        <Allowed field="Mutation.logTest">
          <button type="button" onClick={() => open(logTestAction(refetch))}>
            Write a test entry…
          </button>
        </Allowed>
        <Allowed field="Mutation.logsPrune">
          <button type="button" onClick={() => open(logsPruneAction(refetch))}>
            Prune…
          </button>
        </Allowed>
      </form>
      {current.fingerprint && (
        <p className="muted">
          The entries of error group <code>{current.fingerprint}</code>.
        </p>
      )}
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Log entries" aria-busy={loading}>
        <thead>
          <tr>
            <th>When</th>
            <th>Level</th>
            <th>Message</th>
            <th>Request</th>
            <th>Principal</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>{dateTime(node.createdAt)}</td>
              <td>
                <span className={`badge ${node.level}`}>{node.level}</span>
              </td>
              <td>
                <div data-testid="log-message">{node.message}</div>
                <div className="muted">{node.logger}</div>
                {node.errorType && (
                  <div className="muted">
                    <code>{node.errorType}</code> at <code>{node.errorPlace}</code>
                  </div>
                )}
                {(node.stack || Object.keys((node.data ?? {}) as object).length > 0) && (
                  <details>
                    <summary>Details</summary>
                    {Object.keys((node.data ?? {}) as object).length > 0 && <pre>{json(node.data)}</pre>}
                    {node.stack && <pre>{node.stack}</pre>}
                  </details>
                )}
              </td>
              <td>
                {node.requestId ? (
                  <button type="button" className="link" title="Only this request's entries" onClick={() => apply({ ...draft, requestId: node.requestId ?? "" })}>
                    <code>{node.requestId}</code>
                  </button>
                ) : (
                  "—"
                )}
                {node.operationName && <div className="muted">{node.operationName}</div>}
              </td>
              <td>
                {node.principalKind ?? "—"} <code>{node.principalId ?? ""}</code>
              </td>
              <td>{node.durationMs === null ? "—" : `${count(Math.round(node.durationMs))} ms`}</td>
            </tr>
          ))}
          {connection && connection.edges.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No entry.
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
