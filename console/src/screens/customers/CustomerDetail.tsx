import { Link } from "wouter";
import type { MemberRole } from "../../gql/graphql";
import { useActions } from "../../lib/action";
import { useAuth } from "../../lib/auth";
import { Allowed } from "../../lib/can";
import { dateTime } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { CopyButton } from "../../ui/CopyButton";
import { ApiKeysCard, BillingActions, BillingSummary, InvoicesCard, LicensesCard, WebhooksCard } from "./Billing";
import {
  CustomerDeactivateMutation,
  CustomerDetailQuery,
  CustomerNoteCreateMutation,
  CustomerReactivateMutation,
  CustomerUpdateMutation,
  InvitationCreateMutation,
  InvitationRevokeMutation,
  MemberAddMutation,
  MemberRemoveMutation,
  MemberRoleUpdateMutation,
  ProjectCreateMutation,
  ProjectDeleteMutation,
  ProjectUpdateMutation,
} from "./documents";

const ROLES: readonly MemberRole[] = ["MEMBER", "ADMIN", "OWNER"];

function orNull(value: string | boolean): string | null {
  const text = String(value).trim();
  return text === "" ? null : text;
}

export default function CustomerDetail({ params }: { params: Record<string, string | undefined> }) {
  const id = params.id ?? "";
  const { me } = useAuth();
  const master = me?.scope === "MASTER";
  const { data, errors, loading, refetch } = useQuery(CustomerDetailQuery, { id, master });
  const { dialog, open } = useActions();
  const customer = data?.customer;
  if (loading && !customer) return <div className="muted">Loading…</div>;
  if (!customer) {
    return (
      <section>
        <h1>Customer not found</h1>
        <p>{errors.map((e) => e.message).join(" ") || "No such customer in your scope."}</p>
      </section>
    );
  }
  const customerId = customer.id;

  const edit = () =>
    open({
      title: `Edit ${customer.name}`,
      document: CustomerUpdateMutation,
      fields: [
        { name: "name", label: "Name", initial: customer.name },
        { name: "billingEmail", label: "Billing email", kind: "email", initial: customer.billingEmail },
        // Slug and plan are master-only inputs: the schema says so in their descriptions only,
        // so the form offers them to a master caller.
        ...(master
          ? [
              { name: "slug", label: "Slug", initial: customer.slug },
              { name: "planCode", label: "Plan code", initial: customer.plan?.code ?? "" },
            ]
          : []),
      ],
      variables: (values) => ({
        input: {
          customerId,
          name: orNull(values.name) === customer.name ? null : orNull(values.name),
          billingEmail: orNull(values.billingEmail) === customer.billingEmail ? null : orNull(values.billingEmail),
          ...(master
            ? {
                slug: orNull(values.slug) === customer.slug ? null : orNull(values.slug),
                planCode: orNull(values.planCode) === (customer.plan?.code ?? null) ? null : orNull(values.planCode),
              }
            : {}),
        },
      }),
      preview: (payload) => (
        <dl className="props">
          <dt>Name</dt>
          <dd>{payload.customer?.name}</dd>
          <dt>Slug</dt>
          <dd>{payload.customer?.slug}</dd>
          <dt>Billing email</dt>
          <dd>{payload.customer?.billingEmail}</dd>
          <dt>Plan</dt>
          <dd>{payload.customer?.plan?.code ?? "—"}</dd>
        </dl>
      ),
      confirmLabel: "Save",
      onDone: refetch,
    });

  return (
    <section>
      <p>
        <Link href="/customers">← Customers</Link>
      </p>
      <h1>
        {customer.name} <span className={`badge ${customer.status}`}>{customer.status}</span>
      </h1>
      <div className="actions-row" aria-label="Actions">
        <Allowed field="Mutation.customerUpdate">
          <button type="button" onClick={edit}>
            Edit…
          </button>
        </Allowed>
        {customer.status === "ACTIVE" ? (
          <Allowed field="Mutation.customerDeactivate">
            <button
              type="button"
              className="danger"
              onClick={() =>
                open({
                  title: `Deactivate ${customer.name}`,
                  document: CustomerDeactivateMutation,
                  fields: [{ name: "reason", label: "Reason", kind: "textarea" }],
                  variables: (values) => ({ input: { customerId, reason: String(values.reason) } }),
                  preview: (payload) => (
                    <p>
                      Status becomes <strong data-testid="preview-status">{payload.customer?.status}</strong>; nothing
                      is destroyed.
                    </p>
                  ),
                  confirmLabel: "Deactivate",
                  danger: true,
                  onDone: refetch,
                })
              }
            >
              Deactivate…
            </button>
          </Allowed>
        ) : (
          <Allowed field="Mutation.customerReactivate">
            <button
              type="button"
              onClick={() =>
                open({
                  title: `Reactivate ${customer.name}`,
                  document: CustomerReactivateMutation,
                  fields: [{ name: "reason", label: "Reason (optional)", kind: "textarea" }],
                  variables: (values) => ({ input: { customerId, reason: orNull(values.reason) } }),
                  preview: (payload) => (
                    <p>
                      Status becomes <strong data-testid="preview-status">{payload.customer?.status}</strong>.
                    </p>
                  ),
                  confirmLabel: "Reactivate",
                  onDone: refetch,
                })
              }
            >
              Reactivate…
            </button>
          </Allowed>
        )}
      </div>
      {master && <BillingActions customer={customer} plans={data.plans?.nodes ?? []} open={open} onDone={refetch} />}
      {dialog}
      <div className="grid">
        <div className="card">
          <h2>Account</h2>
          <dl className="props">
            <dt>Id</dt>
            <dd>
              <code>{customer.id}</code>
            </dd>
            <dt>Slug</dt>
            <dd>
              <code>{customer.slug}</code>
            </dd>
            <dt>Billing email</dt>
            <dd>{customer.billingEmail}</dd>
            <dt>Created</dt>
            <dd>{dateTime(customer.createdAt)}</dd>
            {customer.deactivatedAt && (
              <>
                <dt>Deactivated</dt>
                <dd>
                  {dateTime(customer.deactivatedAt)} {customer.deactivationReason ?? ""}
                </dd>
              </>
            )}
          </dl>
        </div>
        <BillingSummary customer={customer} />
      </div>

      <div className="card">
        <div className="toolbar">
          <h2>Members ({customer.members.totalCount})</h2>
          <Allowed field="Mutation.memberAdd">
            <button
              type="button"
              onClick={() =>
                open({
                  title: `Add a member to ${customer.name}`,
                  document: MemberAddMutation,
                  fields: [
                    { name: "email", label: "Email of an existing user", kind: "email" },
                    { name: "role", label: "Role", kind: "select", options: ROLES },
                  ],
                  variables: (values) => ({
                    input: { customerId, email: String(values.email), role: values.role as MemberRole },
                  }),
                  preview: (payload) => (
                    <p>
                      {payload.membership?.user?.email} joins as {payload.membership?.role}.
                    </p>
                  ),
                  confirmLabel: "Add",
                  onDone: refetch,
                })
              }
            >
              Add a member…
            </button>
          </Allowed>
        </div>
        <table aria-label="Members">
          <tbody>
            {customer.members.nodes.map((member) => {
              const userId = member.user?.id ?? "";
              return (
                <tr key={member.id}>
                  <td>
                    {member.user ? <Link href={`/users/${member.user.id}`}>{member.user.email}</Link> : "—"}
                    <div className="muted">{member.user?.name}</div>
                  </td>
                  <td>{member.role}</td>
                  <td>{dateTime(member.createdAt)}</td>
                  <td>
                    <Allowed field="Mutation.memberRoleUpdate">
                      <button
                        type="button"
                        onClick={() =>
                          open({
                            title: `Role of ${member.user?.email}`,
                            document: MemberRoleUpdateMutation,
                            fields: [
                              {
                                name: "role",
                                label: "Role",
                                kind: "select",
                                options: ROLES,
                                initial: member.role,
                              },
                            ],
                            variables: (values) => ({
                              input: { customerId, userId, role: values.role as MemberRole },
                            }),
                            preview: (payload) => (
                              <p>
                                {payload.membership?.user?.email} becomes {payload.membership?.role}.
                              </p>
                            ),
                            confirmLabel: "Change the role",
                            onDone: refetch,
                          })
                        }
                      >
                        Role…
                      </button>
                    </Allowed>{" "}
                    <Allowed field="Mutation.memberRemove">
                      <button
                        type="button"
                        onClick={() =>
                          open({
                            title: `Remove ${member.user?.email} from ${customer.name}`,
                            document: MemberRemoveMutation,
                            variables: () => ({ input: { customerId, userId } }),
                            preview: (payload) => (
                              <p>
                                {member.user?.email} leaves; {payload.customer?.members.totalCount} member(s) remain.
                              </p>
                            ),
                            confirmLabel: "Remove",
                            danger: true,
                            onDone: refetch,
                          })
                        }
                      >
                        Remove…
                      </button>
                    </Allowed>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <div className="card">
        <div className="toolbar">
          <h2>Invitations ({customer.invitations.totalCount})</h2>
          <Allowed field="Mutation.invitationCreate">
            <button
              type="button"
              onClick={() =>
                open({
                  title: `Invite someone to ${customer.name}`,
                  document: InvitationCreateMutation,
                  fields: [
                    { name: "email", label: "Email", kind: "email" },
                    { name: "role", label: "Role", kind: "select", options: ROLES },
                  ],
                  variables: (values) => ({
                    input: { customerId, email: String(values.email), role: values.role as MemberRole },
                  }),
                  preview: (payload) => (
                    <p>
                      {payload.invitation?.email} is invited as {payload.invitation?.role}, until{" "}
                      {dateTime(payload.invitation?.expiresAt)}.
                    </p>
                  ),
                  result: (payload) => (
                    <>
                      <p>Send this link to {payload.invitation?.email}; it is shown only now.</p>
                      <div className="secret" data-testid="accept-url">
                        {payload.acceptUrl}
                      </div>
                      <CopyButton text={payload.acceptUrl ?? ""} />
                    </>
                  ),
                  confirmLabel: "Invite",
                  onDone: refetch,
                })
              }
            >
              Invite…
            </button>
          </Allowed>
        </div>
        <table aria-label="Invitations">
          <tbody>
            {customer.invitations.nodes.map((invitation) => (
              <tr key={invitation.id}>
                <td>{invitation.email}</td>
                <td>{invitation.role}</td>
                <td>
                  <span className={`badge ${invitation.status}`}>{invitation.status}</span>
                </td>
                <td className="muted">until {dateTime(invitation.expiresAt)}</td>
                <td>
                  {invitation.status === "PENDING" && (
                    <Allowed field="Mutation.invitationRevoke">
                      <button
                        type="button"
                        onClick={() =>
                          open({
                            title: `Revoke the invitation of ${invitation.email}`,
                            document: InvitationRevokeMutation,
                            variables: () => ({ input: { invitationId: invitation.id } }),
                            preview: (payload) => <p>The invitation becomes {payload.invitation?.status}.</p>,
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
      </div>

      <div className="card">
        <div className="toolbar">
          <h2>Projects ({customer.projects.totalCount})</h2>
          <Allowed field="Mutation.projectCreate">
            <button
              type="button"
              onClick={() =>
                open({
                  title: `New project of ${customer.name}`,
                  document: ProjectCreateMutation,
                  fields: [
                    { name: "name", label: "Name" },
                    { name: "slug", label: "Slug", help: "Unique within the customer." },
                  ],
                  variables: (values) => ({
                    input: { customerId, name: String(values.name), slug: String(values.slug) },
                  }),
                  preview: (payload) => (
                    <p>
                      Project {payload.project?.name} (<code>{payload.project?.slug}</code>) is created.
                    </p>
                  ),
                  confirmLabel: "Create",
                  onDone: refetch,
                })
              }
            >
              New project…
            </button>
          </Allowed>
        </div>
        <table aria-label="Projects">
          <tbody>
            {customer.projects.nodes.map((project) => (
              <tr key={project.id}>
                <td>{project.name}</td>
                <td>
                  <code>{project.slug}</code>
                </td>
                <td>{dateTime(project.createdAt)}</td>
                <td>
                  <Allowed field="Mutation.projectUpdate">
                    <button
                      type="button"
                      onClick={() =>
                        open({
                          title: `Edit project ${project.name}`,
                          document: ProjectUpdateMutation,
                          fields: [
                            { name: "name", label: "Name", initial: project.name },
                            { name: "slug", label: "Slug", initial: project.slug },
                          ],
                          variables: (values) => ({
                            input: {
                              projectId: project.id,
                              name: orNull(values.name) === project.name ? null : orNull(values.name),
                              slug: orNull(values.slug) === project.slug ? null : orNull(values.slug),
                            },
                          }),
                          preview: (payload) => (
                            <p>
                              Becomes {payload.project?.name} (<code>{payload.project?.slug}</code>).
                            </p>
                          ),
                          confirmLabel: "Save",
                          onDone: refetch,
                        })
                      }
                    >
                      Edit…
                    </button>
                  </Allowed>{" "}
                  <Allowed field="Mutation.projectDelete">
                    <button
                      type="button"
                      onClick={() =>
                        open({
                          title: `Delete project ${project.name}`,
                          document: ProjectDeleteMutation,
                          variables: () => ({ input: { projectId: project.id } }),
                          preview: (payload) => (
                            <p>
                              The project is deleted; {payload.customer?.projects.totalCount} project(s) remain.
                            </p>
                          ),
                          confirmLabel: "Delete",
                          danger: true,
                          onDone: refetch,
                        })
                      }
                    >
                      Delete…
                    </button>
                  </Allowed>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <InvoicesCard customer={customer} open={open} onDone={refetch} />
      <ApiKeysCard customer={customer} scopes={data.apiKeyScopes} open={open} onDone={refetch} />
      <LicensesCard customer={customer} licenses={data.licenses} open={open} onDone={refetch} />
      <WebhooksCard customer={customer} eventTypes={data.webhookEventTypes} open={open} onDone={refetch} />

      {customer.notes && (
        <div className="card">
          <div className="toolbar">
            <h2>Notes ({customer.notes.totalCount})</h2>
            <Allowed field="Mutation.customerNoteCreate">
              <button
                type="button"
                onClick={() =>
                  open({
                    title: `Note about ${customer.name}`,
                    document: CustomerNoteCreateMutation,
                    fields: [{ name: "body", label: "Note", kind: "textarea" }],
                    variables: (values) => ({ input: { customerId, body: String(values.body) } }),
                    preview: (payload) => <p>“{payload.customerNote?.body}”</p>,
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
              {customer.notes.nodes.map((note) => (
                <tr key={note.id}>
                  <td>
                    <pre>{note.body}</pre>
                  </td>
                  <td className="muted">
                    {dateTime(note.createdAt)} {note.authorId}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
