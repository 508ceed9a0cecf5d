import { useState } from "react";
import { Link, useLocation, useSearch } from "wouter";
import type { CustomerStatus } from "../../gql/graphql";
import { dateTime } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { CustomersListQuery } from "./documents";

const PAGE_SIZE = 25;

export default function CustomersList() {
  const params = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const status = (params.get("status") as CustomerStatus | null) ?? null;
  const planCode = params.get("plan");
  const search = params.get("q");
  const [draft, setDraft] = useState(search ?? "");
  const [planDraft, setPlanDraft] = useState(planCode ?? "");
  const cursors = useCursors();

  function apply(changes: Record<string, string | null>) {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    cursors.reset();
    const query = next.toString();
    navigate(query ? `/customers?${query}` : "/customers");
  }

  const { data, errors, loading } = useQuery(CustomersListQuery, {
    first: PAGE_SIZE,
    after: cursors.after,
    filter: { status, planCode, search },
  });
  const connection = data?.customers;
  return (
    <section>
      <h1>Customers</h1>
      <form
        className="toolbar"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          apply({ q: draft.trim() || null, plan: planDraft.trim() || null });
        }}
      >
        <input
          type="search"
          aria-label="Search customers"
          placeholder="Name, slug or billing email"
          maxLength={100}
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
        />
        <select aria-label="Status" value={status ?? ""} onChange={(event) => apply({ status: event.target.value || null })}>
          <option value="">Any status</option>
          <option>ACTIVE</option>
          <option>DEACTIVATED</option>
        </select>
        <input aria-label="Plan" placeholder="Plan code" value={planDraft} onChange={(event) => setPlanDraft(event.target.value)} />
        <button type="submit">Search</button>
      </form>
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Customers" aria-busy={loading}>
        <thead>
          <tr>
            <th>Name</th>
            <th>Slug</th>
            <th>Status</th>
            <th>Plan</th>
            <th>Members</th>
            <th>Projects</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>
                <Link href={`/customers/${node.id}`}>{node.name}</Link>
                <div className="muted">{node.billingEmail}</div>
              </td>
              <td>
                <code>{node.slug}</code>
              </td>
              <td>
                <span className={`badge ${node.status}`}>{node.status}</span>
              </td>
              <td>{node.plan?.name ?? "—"}</td>
              <td>{node.members.totalCount}</td>
              <td>{node.projects.totalCount}</td>
              <td>{dateTime(node.createdAt)}</td>
            </tr>
          ))}
          {connection && connection.edges.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No customer matches.
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
