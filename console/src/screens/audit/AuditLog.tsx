import { useState } from "react";
import { useLocation, useSearch } from "wouter";
import { useAuth } from "../../lib/auth";
import { Allowed } from "../../lib/can";
import { execute } from "../../lib/client";
import { dateTime, json } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { AuditChainVerifyQuery, AuditEventsQuery, AuditExportUrlQuery } from "./documents";
import { download } from "./download";

const PAGE_SIZE = 50;
const FILTERS = ["action", "actorId", "targetId", "from", "to"] as const;

function instant(value: string | null): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export default function AuditLog() {
  const { me } = useAuth();
  const master = me?.scope === "MASTER";
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const [draft, setDraft] = useState<Record<string, string>>(() =>
    Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ""])),
  );
  const [verification, setVerification] = useState<string | null>(null);
  const [exportRange, setExportRange] = useState({ startDate: "", endDate: "" });
  const [exportError, setExportError] = useState<string | null>(null);
  const cursors = useCursors();
  const filter = {
    action: params.get("action"),
    actorId: params.get("actorId"),
    targetId: params.get("targetId"),
    from: instant(params.get("from")),
    to: instant(params.get("to")),
  };
  const { data, errors, loading } = useQuery(AuditEventsQuery, {
    first: PAGE_SIZE,
    after: cursors.after,
    filter,
    master,
  });
  const connection = data?.auditEvents;

  async function verify() {
    setVerification("Verifying…");
    const result = await execute(AuditChainVerifyQuery, {});
    const found = result.data?.auditChainVerify;
    setVerification(
      found
        ? found.ok
          ? `The chain is intact: ${found.checked} events checked.`
          : `Broken at ${found.firstBrokenId} after ${found.checked} events.`
        : result.errors.map((error) => error.message).join(" "),
    );
  }

  async function exportCsv() {
    setExportError(null);
    const result = await execute(AuditExportUrlQuery, {
      startDate: exportRange.startDate || null,
      endDate: exportRange.endDate || null,
    });
    const link = result.data?.exportUrl;
    if (link) download(link);
    else setExportError(result.errors.map((error) => error.message).join(" ") || "No link.");
  }

  return (
    <section>
      <h1>Audit log</h1>
      {/* exportUrl is open to session admins for usage only: the audit export is a master's. */}
      {master && (
      <Allowed field="Query.exportUrl">
        <form
          className="toolbar"
          aria-label="Export"
          onSubmit={(event) => {
            event.preventDefault();
            void exportCsv();
          }}
        >
          <label>
            Export from{" "}
            <input type="date" aria-label="Export from" value={exportRange.startDate} onChange={(e) => setExportRange({ ...exportRange, startDate: e.target.value })} />
          </label>
          <label>
            to <input type="date" aria-label="Export to" value={exportRange.endDate} onChange={(e) => setExportRange({ ...exportRange, endDate: e.target.value })} />
          </label>
          <button type="submit">Download CSV</button>
          <span className="muted">Days in UTC; without dates, the current month.</span>
        </form>
        {exportError && (
          <div className="field-error" role="alert">
            {exportError}
          </div>
        )}
      </Allowed>
      )}
      <form
        className="toolbar"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          const next = new URLSearchParams();
          for (const name of FILTERS) if (draft[name]?.trim()) next.set(name, draft[name].trim());
          cursors.reset();
          navigate(next.size ? `/audit?${next}` : "/audit");
        }}
      >
        <input aria-label="Action" placeholder="Action, e.g. user.suspend" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} />
        <input aria-label="Actor id" placeholder="Actor id" value={draft.actorId} onChange={(e) => setDraft({ ...draft, actorId: e.target.value })} />
        <input aria-label="Target id" placeholder="Target id" value={draft.targetId} onChange={(e) => setDraft({ ...draft, targetId: e.target.value })} />
        <label>
          From <input type="datetime-local" aria-label="From" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label>
          To <input type="datetime-local" aria-label="To" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        <button type="submit">Filter</button>
        <Allowed field="Query.auditChainVerify">
          <button type="button" onClick={() => void verify()}>
            Verify the chain
          </button>
        </Allowed>
      </form>
      {verification && (
        <div className="card" role="status" data-testid="chain-verification">
          {verification}
        </div>
      )}
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Audit events" aria-busy={loading}>
        <thead>
          <tr>
            <th>#</th>
            <th>When</th>
            <th>Action</th>
            <th>Actor</th>
            <th>Target</th>
            <th>Changes</th>
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>{node.seq}</td>
              <td>{dateTime(node.createdAt)}</td>
              <td>
                <code>{node.action}</code>
              </td>
              <td>
                {node.actorType} <code>{node.actorId ?? ""}</code>
                {node.impersonatorId && <div className="muted">impersonated by {node.impersonatorId}</div>}
                {node.clientAddr && <div className="muted">{node.clientAddr}</div>}
              </td>
              <td>
                {node.targetType} <code>{node.targetId ?? ""}</code>
              </td>
              <td>
                <pre>{json(node.diff)}</pre>
              </td>
            </tr>
          ))}
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
