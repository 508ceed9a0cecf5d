import { useState } from "react";
import { Link, useLocation, useSearch } from "wouter";
import type { UserStatus } from "../../gql/graphql";
import { useAuth } from "../../lib/auth";
import { dateTime } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { UsersListQuery } from "./documents";

export const PAGE_SIZE = 25;
const STATUSES: readonly UserStatus[] = ["ACTIVE", "SUSPENDED", "BLOCKED", "DELETED"];

export default function UsersList() {
  const { me } = useAuth();
  const master = me?.scope === "MASTER";
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const status = (params.get("status") as UserStatus | null) ?? null;
  const planCode = params.get("plan");
  const search = params.get("q");
  const [draft, setDraft] = useState(search ?? "");
  const cursors = useCursors();

  function setFilter(name: string, value: string | null) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    cursors.reset();
    const query = next.toString();
    navigate(query ? `/users?${query}` : "/users");
  }

  const { data, errors, loading } = useQuery(UsersListQuery, {
    first: PAGE_SIZE,
    after: cursors.after,
    filter: { status, planCode, search },
    master,
  });
  const connection = data?.users;
  const stats = data?.userStats;

  return (
    <section>
      <h1>Users</h1>
      {stats && (
        <div className="counts" role="group" aria-label="Status counts">
          <button type="button" aria-pressed={status === null} onClick={() => setFilter("status", null)}>
            All <strong>{stats.total}</strong>
          </button>
          {STATUSES.map((name) => (
            <button
              key={name}
              type="button"
              aria-pressed={status === name}
              onClick={() => setFilter("status", status === name ? null : name)}
            >
              {name.toLowerCase()}{" "}
              <strong>{stats.byStatus.find((item) => item.status === name)?.count ?? 0}</strong>
            </button>
          ))}
        </div>
      )}
      <form
        className="toolbar"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setFilter("q", draft.trim() || null);
        }}
      >
        <input
          type="search"
          aria-label="Search users"
          placeholder="Email or name"
          value={draft}
          maxLength={100}
          onChange={(event) => setDraft(event.target.value)}
        />
        {!stats && (
          <select
            aria-label="Status"
            value={status ?? ""}
            onChange={(event) => setFilter("status", event.target.value || null)}
          >
            <option value="">Any status</option>
            {STATUSES.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        )}
        {stats ? (
          <select
            aria-label="Plan"
            value={planCode ?? ""}
            onChange={(event) => setFilter("plan", event.target.value || null)}
          >
            <option value="">Any plan</option>
            {stats.byPlan.map((item) => (
              <option key={item.planCode} value={item.planCode}>
                {item.planCode} ({item.count})
              </option>
            ))}
          </select>
        ) : (
          <input
            aria-label="Plan"
            placeholder="Plan code"
            defaultValue={planCode ?? ""}
            onBlur={(event) => setFilter("plan", event.target.value.trim() || null)}
          />
        )}
        <button type="submit">Search</button>
      </form>
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Users" aria-busy={loading}>
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Status</th>
            <th>Customers</th>
            <th>Created</th>
            {master && <th>Last seen</th>}
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>
                <Link href={`/users/${node.id}`}>{node.email}</Link>
              </td>
              <td>{node.name}</td>
              <td>
                <span className={`badge ${node.status}`}>{node.status}</span>
              </td>
              <td>
                {node.memberships
                  .map((m) => `${m.customer?.slug ?? "?"} (${m.role.toLowerCase()}${m.customer?.plan ? `, ${m.customer.plan.code}` : ""})`)
                  .join(", ")}
              </td>
              <td>{dateTime(node.createdAt)}</td>
              {master && <td>{dateTime(node.lastSeenAt)}</td>}
            </tr>
          ))}
          {connection && connection.edges.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No user matches.
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
