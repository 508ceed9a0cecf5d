import { useState } from "react";
import { useActions } from "../../lib/action";
import { Allowed } from "../../lib/can";
import { dateTime } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { CopyButton } from "../../ui/CopyButton";
import { Pager, useCursors } from "../../ui/Pager";
import { MasterKeyCreateMutation, MasterKeyRevokeMutation, MasterKeysQuery } from "./documents";

export default function MasterKeys() {
  const [onlyActive, setOnlyActive] = useState(true);
  const cursors = useCursors();
  const { data, errors, loading, refetch } = useQuery(MasterKeysQuery, {
    first: 50,
    after: cursors.after,
    filter: { active: onlyActive ? true : null },
  });
  const { dialog, open } = useActions();
  const connection = data?.masterKeys;
  return (
    <section>
      <h1>Master keys</h1>
      <div className="toolbar">
        <label>
          <input
            type="checkbox"
            checked={onlyActive}
            onChange={(event) => {
              cursors.reset();
              setOnlyActive(event.target.checked);
            }}
          />{" "}
          Active only
        </label>
        <Allowed field="Mutation.masterKeyCreate">
          <button
            type="button"
            className="primary"
            onClick={() =>
              open({
                title: "New master key",
                document: MasterKeyCreateMutation,
                fields: [{ name: "name", label: "What it is for", placeholder: "deploy pipeline" }],
                variables: (values) => ({ input: { name: String(values.name) } }),
                preview: (payload) => <p>A master key named “{payload.masterKey?.name}” is created.</p>,
                result: (payload) => (
                  <>
                    <p>
                      The key, shown this once: store it now. Only its prefix <code>{payload.masterKey?.prefix}</code>{" "}
                      is kept for display.
                    </p>
                    <div className="secret" data-testid="new-key">
                      {payload.key}
                    </div>
                    <CopyButton text={payload.key ?? ""} />
                  </>
                ),
                confirmLabel: "Create",
                onDone: refetch,
              })
            }
          >
            New key…
          </button>
        </Allowed>
      </div>
      {dialog}
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Master keys" aria-busy={loading}>
        <thead>
          <tr>
            <th>Name</th>
            <th>Prefix</th>
            <th>Created</th>
            <th>Last used</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>{node.name}</td>
              <td>
                <code>{node.prefix}…</code>
              </td>
              <td>
                {dateTime(node.createdAt)}
                <div className="muted">{node.createdBy}</div>
              </td>
              <td>{dateTime(node.lastUsedAt)}</td>
              <td>
                {node.active ? (
                  <span className="badge ACTIVE">ACTIVE</span>
                ) : (
                  <span className="badge REVOKED">REVOKED {dateTime(node.revokedAt)}</span>
                )}
              </td>
              <td>
                {node.active && (
                  <Allowed field="Mutation.masterKeyRevoke">
                    <button
                      type="button"
                      className="danger"
                      onClick={() =>
                        open({
                          title: `Revoke “${node.name}”`,
                          document: MasterKeyRevokeMutation,
                          variables: () => ({ input: { masterKeyId: node.id } }),
                          preview: (payload) => (
                            <p>
                              The key stops working at once (active: {String(payload.masterKey?.active)}).
                            </p>
                          ),
                          confirmLabel: "Revoke",
                          danger: true,
                          onDone: refetch,
                        })
                      }
                    >
                      Revoke…
                    </button>
                  </Allowed>
                )}
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
