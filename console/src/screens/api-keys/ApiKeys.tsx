import { useState } from "react";
import { Link } from "wouter";
import type { ApiKeyStatus } from "../../gql/graphql";
import { useActions } from "../../lib/action";
import { useAuth } from "../../lib/auth";
import { Allowed } from "../../lib/can";
import { dateTime } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { apiKeyCreateAction, apiKeyRevokeAction } from "./actions";
import { ApiKeysQuery } from "./documents";

const STATUSES: readonly (ApiKeyStatus | "")[] = ["", "ACTIVE", "REVOKED", "EXPIRED"];

export default function ApiKeys() {
  const { me } = useAuth();
  const master = me?.scope === "MASTER";
  const cursors = useCursors();
  const [status, setStatus] = useState<ApiKeyStatus | "">("ACTIVE");
  const [search, setSearch] = useState("");
  const [typed, setTyped] = useState("");
  const { data, errors, loading, refetch } = useQuery(ApiKeysQuery, {
    first: 25,
    after: cursors.after,
    filter: { status: status || null, search: search || null },
    master,
  });
  const { dialog, open } = useActions();
  const connection = data?.apiKeys;
  const customers = master ? (data?.customers?.nodes ?? []) : (me?.customers ?? []);
  return (
    <section>
      <h1>API keys</h1>
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          cursors.reset();
          setSearch(typed.trim());
        }}
      >
        <input
          type="search"
          aria-label="Search keys"
          placeholder="Name or start of the key"
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
        />
        <button type="submit">Search</button>
        <label>
          Status{" "}
          <select
            value={status}
            onChange={(event) => {
              cursors.reset();
              setStatus(event.target.value as ApiKeyStatus | "");
            }}
          >
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value || "any"}
              </option>
            ))}
          </select>
        </label>
        <Allowed field="Mutation.apiKeyCreate">
          <button
            type="button"
            className="primary"
            disabled={customers.length === 0}
            onClick={() => open(apiKeyCreateAction(customers, data?.apiKeyScopes ?? [], refetch))}
          >
            New key…
          </button>
        </Allowed>
      </form>
      {dialog}
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="API keys" aria-busy={loading}>
        <thead>
          <tr>
            <th>Name</th>
            <th>Start</th>
            <th>Customer</th>
            <th>Scopes</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>
                {node.name}
                <div className="muted">{node.environment}</div>
              </td>
              <td>
                <code>{node.start}…</code>
              </td>
              <td>{node.customer ? <Link href={`/customers/${node.customer.id}`}>{node.customer.name}</Link> : "—"}</td>
              <td>{node.scopes.join(", ") || <span className="muted">none</span>}</td>
              <td>{dateTime(node.createdAt)}</td>
              <td>{dateTime(node.lastUsedAt)}</td>
              <td>
                <span className={`badge ${node.status}`}>{node.status}</span>
                {!node.enabled && <div className="muted">disabled</div>}
              </td>
              <td>
                {node.status === "ACTIVE" && (
                  <Allowed field="Mutation.apiKeyRevoke">
                    <button type="button" onClick={() => open(apiKeyRevokeAction(node, refetch))}>
                      Revoke…
                    </button>
                  </Allowed>
                )}
              </td>
            </tr>
          ))}
          {connection && connection.edges.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                No key matches.
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
