import { useState } from "react";
import { Link, useLocation } from "wouter";
import type { NoteCategory } from "../../gql/graphql";
import { useActions } from "../../lib/action";
import { readMe, useAuth } from "../../lib/auth";
import { Allowed } from "../../lib/can";
import { dateTime, json } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { CopyButton } from "../../ui/CopyButton";
import {
  UserBlockMutation,
  UserDeleteMutation,
  UserDetailQuery,
  UserImpersonateMutation,
  UserNoteCreateMutation,
  UserPasswordResetMutation,
  UserSignOutMutation,
  UserSuspendMutation,
  UserUnblockMutation,
  UserUnsuspendMutation,
} from "./documents";

const CATEGORIES: readonly NoteCategory[] = ["GENERAL", "SUPPORT", "TIER_CHANGE", "SUSPENSION", "PASSWORD_RESET"];

function optionalNumber(value: string | boolean): number | null {
  const text = String(value).trim();
  return text === "" ? null : Number(text);
}

export default function UserDetail({ params }: { params: Record<string, string | undefined> }) {
  const id = params.id ?? "";
  const { me, impersonate } = useAuth();
  const master = me?.scope === "MASTER";
  const [, navigate] = useLocation();
  const { data, errors, loading, refetch } = useQuery(UserDetailQuery, { id, master });
  const { dialog, open } = useActions();
  const [category, setCategory] = useState<NoteCategory | null>(null);
  const user = data?.user;

  if (loading && !user) return <div className="muted">Loading…</div>;
  if (!user) {
    return (
      <section>
        <h1>User not found</h1>
        <p>{errors.map((e) => e.message).join(" ") || "No such user in your scope."}</p>
      </section>
    );
  }
  const userId = user.id;
  const notes = user.notes?.nodes ?? [];
  const shownNotes = category ? notes.filter((note) => note.category === category) : notes;
  const status = (payload: { user: { status: string } | null }) => (
    <p>
      Status becomes <strong data-testid="preview-status">{payload.user?.status}</strong>.
    </p>
  );

  return (
    <section>
      <p>
        <Link href="/users">← Users</Link>
      </p>
      <h1>
        {user.name || user.email} <span className={`badge ${user.status}`}>{user.status}</span>
      </h1>
      <div className="actions-row" aria-label="Actions">
        {user.status !== "SUSPENDED" && user.status !== "DELETED" && (
          <Allowed field="Mutation.userSuspend">
            <button
              type="button"
              onClick={() =>
                open({
                  title: `Suspend ${user.email}`,
                  document: UserSuspendMutation,
                  fields: [
                    { name: "reason", label: "Reason", kind: "textarea" },
                    {
                      name: "durationHours",
                      label: "Duration in hours",
                      kind: "number",
                      initial: "48",
                      help: "Leave empty to suspend until lifted.",
                    },
                  ],
                  variables: (values) => ({
                    input: {
                      userId,
                      reason: String(values.reason),
                      durationHours: optionalNumber(values.durationHours),
                    },
                  }),
                  preview: (payload) => (
                    <>
                      {status(payload)}
                      <p>
                        Until {payload.user?.suspension?.until ? dateTime(payload.user.suspension.until) : "lifted"};{" "}
                        {payload.revokedSessions ?? 0} session(s) signed out.
                      </p>
                    </>
                  ),
                  confirmLabel: "Suspend",
                  danger: true,
                  onDone: refetch,
                })
              }
            >
              Suspend…
            </button>
          </Allowed>
        )}
        {user.status === "SUSPENDED" && (
          <Allowed field="Mutation.userUnsuspend">
            <button
              type="button"
              onClick={() =>
                open({
                  title: `Lift the suspension of ${user.email}`,
                  document: UserUnsuspendMutation,
                  fields: [{ name: "reason", label: "Reason (optional)", kind: "textarea" }],
                  variables: (values) => ({ input: { userId, reason: String(values.reason) || null } }),
                  preview: status,
                  confirmLabel: "Unsuspend",
                  onDone: refetch,
                })
              }
            >
              Unsuspend…
            </button>
          </Allowed>
        )}
        {user.status === "BLOCKED" ? (
          <Allowed field="Mutation.userUnblock">
            <button
              type="button"
              onClick={() =>
                open({
                  title: `Unblock ${user.email}`,
                  document: UserUnblockMutation,
                  fields: [{ name: "reason", label: "Reason (optional)", kind: "textarea" }],
                  variables: (values) => ({ input: { userId, reason: String(values.reason) || null } }),
                  preview: status,
                  confirmLabel: "Unblock",
                  onDone: refetch,
                })
              }
            >
              Unblock…
            </button>
          </Allowed>
        ) : (
          user.status !== "DELETED" && (
            <Allowed field="Mutation.userBlock">
              <button
                type="button"
                onClick={() =>
                  open({
                    title: `Block ${user.email}`,
                    document: UserBlockMutation,
                    fields: [{ name: "reason", label: "Reason", kind: "textarea" }],
                    variables: (values) => ({ input: { userId, reason: String(values.reason) } }),
                    preview: (payload) => (
                      <>
                        {status(payload)}
                        <p>{payload.revokedSessions ?? 0} session(s) signed out.</p>
                      </>
                    ),
                    confirmLabel: "Block",
                    danger: true,
                    onDone: refetch,
                  })
                }
              >
                Block…
              </button>
            </Allowed>
          )
        )}
        <Allowed field="Mutation.userPasswordReset">
          <button
            type="button"
            onClick={() =>
              open({
                title: `Password reset link for ${user.email}`,
                document: UserPasswordResetMutation,
                variables: () => ({ input: { userId } }),
                preview: (payload) => (
                  <p>A one-time link, valid until {dateTime(payload.expiresAt)}, will be made.</p>
                ),
                result: (payload) => (
                  <>
                    <p>Send this link to the user; it is shown only now.</p>
                    <div className="secret" data-testid="reset-url">
                      {payload.resetUrl}
                    </div>
                    <CopyButton text={payload.resetUrl ?? ""} />
                  </>
                ),
                confirmLabel: "Make the link",
                onDone: refetch,
              })
            }
          >
            Reset link…
          </button>
        </Allowed>
        <Allowed field="Mutation.userSignOut">
          <button
            type="button"
            onClick={() =>
              open({
                title: `Sign ${user.email} out everywhere`,
                document: UserSignOutMutation,
                variables: () => ({ input: { userId } }),
                preview: (payload) => <p>{payload.revokedCount ?? 0} session(s) will be revoked.</p>,
                confirmLabel: "Sign out",
                onDone: refetch,
              })
            }
          >
            Force sign-out…
          </button>
        </Allowed>
        {user.status === "ACTIVE" && (
          <Allowed field="Mutation.userImpersonate">
            <button
              type="button"
              onClick={() =>
                open({
                  title: `Impersonate ${user.email} (read-only)`,
                  document: UserImpersonateMutation,
                  fields: [{ name: "minutes", label: "Minutes (1–60)", kind: "number", initial: "15" }],
                  variables: (values) => ({
                    input: { userId, readOnly: true, minutes: Number(values.minutes) },
                  }),
                  preview: (payload) => (
                    <p>
                      A {payload.readOnly ? "read-only " : ""}token until {dateTime(payload.expiresAt)}: you will see
                      what {user.email} sees, and every request is audited.
                    </p>
                  ),
                  confirmLabel: "Impersonate",
                  onDone: (payload) => {
                    if (!payload.token) return;
                    const token = payload.token;
                    void readMe(token).then((found) => {
                      if (!found) return;
                      impersonate(token, payload.session?.id ?? null, found);
                      navigate("/");
                    });
                  },
                })
              }
            >
              Impersonate…
            </button>
          </Allowed>
        )}
        {user.status !== "DELETED" && (
          <Allowed field="Mutation.userDelete">
            <button
              type="button"
              className="danger"
              onClick={() =>
                open({
                  title: `Delete ${user.email}`,
                  document: UserDeleteMutation,
                  fields: [
                    {
                      name: "hard",
                      label: "Remove everything (hard delete) instead of scrubbing personal data",
                      kind: "checkbox",
                    },
                    { name: "confirm", label: `Yes, delete ${user.email}`, kind: "checkbox" },
                  ],
                  variables: (values) => ({
                    input: { userId, hard: values.hard === true, confirm: values.confirm === true },
                  }),
                  preview: (payload) =>
                    payload.removed?.length ? (
                      <>
                        <p>Removed for good:</p>
                        <ul data-testid="preview-removed">
                          {payload.removed.map((item) => (
                            <li key={item.kind}>
                              {item.count} {item.kind}
                            </li>
                          ))}
                        </ul>
                      </>
                    ) : (
                      <p>
                        Personal data is scrubbed; the record stays as{" "}
                        <strong data-testid="preview-status">{payload.user?.status}</strong>.
                      </p>
                    ),
                  confirmLabel: "Delete",
                  danger: true,
                  onDone: (payload) => (payload.user ? refetch() : navigate("/users")),
                })
              }
            >
              Delete…
            </button>
          </Allowed>
        )}
      </div>
      {dialog}
      <div className="grid">
        <div className="card">
          <h2>Profile</h2>
          <dl className="props">
            <dt>Id</dt>
            <dd>
              <code>{user.id}</code>
            </dd>
            <dt>Email</dt>
            <dd>{user.email}</dd>
            <dt>Name</dt>
            <dd>{user.name || "—"}</dd>
            <dt>Created</dt>
            <dd>{dateTime(user.createdAt)}</dd>
            {master && (
              <>
                <dt>Last seen</dt>
                <dd>{dateTime(user.lastSeenAt)}</dd>
                <dt>Staff</dt>
                <dd>{user.isStaff ? "yes" : "no"}</dd>
              </>
            )}
            {user.suspension && (
              <>
                <dt>Suspended</dt>
                <dd>
                  {user.suspension.reason} — until{" "}
                  {user.suspension.until ? dateTime(user.suspension.until) : "lifted"} (by {user.suspension.by})
                </dd>
              </>
            )}
            {user.block && (
              <>
                <dt>Blocked</dt>
                <dd>
                  {user.block.reason} — {dateTime(user.block.at)}
                </dd>
              </>
            )}
            {master && user.metadata != null && (
              <>
                <dt>Metadata</dt>
                <dd>
                  <pre>{json(user.metadata)}</pre>
                </dd>
              </>
            )}
          </dl>
        </div>
        <div className="card">
          <h2>Memberships</h2>
          <table aria-label="Memberships">
            <tbody>
              {user.memberships.map((membership) => (
                <tr key={membership.id}>
                  <td>
                    {membership.customer ? (
                      <Link href={`/customers/${membership.customer.id}`}>{membership.customer.name}</Link>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td>{membership.role}</td>
                  <td>{dateTime(membership.createdAt)}</td>
                </tr>
              ))}
              {user.memberships.length === 0 && (
                <tr>
                  <td className="muted">No customer.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </div>
      {user.sessions && (
        <div className="card">
          <h2>Sessions ({user.sessions.length} live)</h2>
          <table aria-label="Sessions">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Created</th>
                <th>Last seen</th>
                <th>Expires</th>
                <th>Address</th>
                <th>Agent</th>
              </tr>
            </thead>
            <tbody>
              {user.sessions.map((session) => (
                <tr key={session.id}>
                  <td>
                    {session.kind}
                    {session.readOnly ? " (read-only)" : ""}
                  </td>
                  <td>{dateTime(session.createdAt)}</td>
                  <td>{dateTime(session.lastSeenAt)}</td>
                  <td>{dateTime(session.expiresAt)}</td>
                  <td>{session.clientAddr ?? "—"}</td>
                  <td className="muted">{session.userAgent ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {user.notes && (
        <div className="card">
          <h2>Notes ({user.notes.totalCount})</h2>
          <div className="toolbar">
            <div className="tabs" role="group" aria-label="Note categories">
              <button type="button" aria-pressed={category === null} onClick={() => setCategory(null)}>
                All {notes.length}
              </button>
              {CATEGORIES.map((name) => (
                <button key={name} type="button" aria-pressed={category === name} onClick={() => setCategory(name)}>
                  {name.toLowerCase().replace("_", " ")} {notes.filter((note) => note.category === name).length}
                </button>
              ))}
            </div>
            <Allowed field="Mutation.userNoteCreate">
              <button
                type="button"
                onClick={() =>
                  open({
                    title: `Note about ${user.email}`,
                    document: UserNoteCreateMutation,
                    fields: [
                      { name: "category", label: "Category", kind: "select", options: CATEGORIES },
                      { name: "body", label: "Note", kind: "textarea" },
                    ],
                    variables: (values) => ({
                      input: { userId, category: values.category as NoteCategory, body: String(values.body) },
                    }),
                    preview: (payload) => (
                      <p>
                        A {payload.note?.category} note: “{payload.note?.body}”
                      </p>
                    ),
                    confirmLabel: "Add the note",
                    onDone: refetch,
                  })
                }
              >
                Add a note…
              </button>
            </Allowed>
          </div>
          <table aria-label="Notes">
            <tbody>
              {shownNotes.map((note) => (
                <tr key={note.id}>
                  <td>
                    <span className="badge">{note.category}</span>
                  </td>
                  <td>
                    <pre>{note.body}</pre>
                  </td>
                  <td className="muted">
                    {dateTime(note.createdAt)}
                    <br />
                    {note.authorId}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {user.activity && (
        <div className="card">
          <h2>Activity ({user.activity.totalCount})</h2>
          <table aria-label="Activity">
            <tbody>
              {user.activity.nodes.map((event) => (
                <tr key={event.id}>
                  <td>{dateTime(event.createdAt)}</td>
                  <td>
                    <code>{event.action}</code>
                  </td>
                  <td className="muted">
                    {event.actorType} {event.actorId ?? ""} → {event.targetType} {event.targetId ?? ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {user.feedback && (
        <div className="card">
          <h2>Feedback ({user.feedback.totalCount})</h2>
          <table aria-label="Feedback">
            <tbody>
              {user.feedback.nodes.map((item) => (
                <tr key={item.id}>
                  <td>
                    <span className="badge">{item.kind}</span>
                  </td>
                  <td>{item.message}</td>
                  <td>{item.rating ? `${item.rating}/5` : ""}</td>
                  <td className="muted">
                    {item.page ?? ""} {dateTime(item.createdAt)}
                  </td>
                </tr>
              ))}
              {user.feedback.nodes.length === 0 && (
                <tr>
                  <td className="muted">No feedback.</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
