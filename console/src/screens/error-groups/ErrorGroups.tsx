// Unexpected exceptions grouped by type and place, the most recently seen first; a group's
// entries (with their stacks) are the logs filtered by its fingerprint.
import { useState } from "react";
import { Link } from "wouter";
import { isoDateTime } from "../../lib/split";
import { count, dateTime } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { ErrorGroupsQuery } from "./documents";

const PAGE_SIZE = 25;

export default function ErrorGroups() {
  const cursors = useCursors();
  const [draft, setDraft] = useState({ from: "", to: "" });
  const [range, setRange] = useState({ from: "", to: "" });
  const { data, errors, loading } = useQuery(ErrorGroupsQuery, {
    first: PAGE_SIZE,
    after: cursors.after,
    filter: { from: isoDateTime(range.from), to: isoDateTime(range.to) },
  });
  const connection = data?.errorGroups;
  return (
    <section>
      <h1>Error groups</h1>
      <form
        className="toolbar"
        aria-label="Error group filters"
        onSubmit={(event) => {
          event.preventDefault();
          cursors.reset();
          setRange(draft);
        }}
      >
        <label>
          Seen from <input type="datetime-local" aria-label="Seen from" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        </label>
        <label>
          to <input type="datetime-local" aria-label="Seen to" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        </label>
        <button type="submit">Filter</button>
        <span className="muted">Times in UTC.</span>
      </form>
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Error groups" aria-busy={loading}>
        <thead>
          <tr>
            <th>Error</th>
            <th>Place</th>
            <th>Count</th>
            <th>First seen</th>
            <th>Last seen</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={node.fingerprint}>
              <td>
                <div>{node.title}</div>
                <div className="muted">
                  <code>{node.errorType}</code>
                </div>
              </td>
              <td>
                <code>{node.place}</code>
              </td>
              <td>{count(node.count)}</td>
              <td>{dateTime(node.firstSeen)}</td>
              <td>{dateTime(node.lastSeen)}</td>
              <td>
                <Link href={`/logs?fingerprint=${encodeURIComponent(node.fingerprint)}`}>Entries</Link>
                {node.sampleRequestId && (
                  <div>
                    <Link href={`/logs?requestId=${encodeURIComponent(node.sampleRequestId)}`}>Newest request</Link>
                  </div>
                )}
              </td>
            </tr>
          ))}
          {connection && connection.edges.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No error.
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
