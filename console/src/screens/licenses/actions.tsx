// The license dialogs, shared by the licenses list and a customer's page.
import type {
  LicenseIssueMutation as Issue,
  LicenseIssueMutationVariables as IssueVariables,
  LicenseReinstateMutation as Reinstate,
  LicenseReinstateMutationVariables as ReinstateVariables,
  LicenseRevokeMutation as Revoke,
  LicenseRevokeMutationVariables as RevokeVariables,
  LicenseSuspendMutation as Suspend,
  LicenseSuspendMutationVariables as SuspendVariables,
} from "../../gql/graphql";
import type { ActionProps } from "../../lib/action";
import { dateTime } from "../../lib/format";
import { isoDateTime, optional, splitList } from "../../lib/split";
import { CopyButton } from "../../ui/CopyButton";
import {
  LicenseIssueMutation,
  LicenseReinstateMutation,
  LicenseRevokeMutation,
  LicenseSuspendMutation,
} from "./documents";

type Action<R, V extends { dryRun?: boolean | null; idempotencyKey?: string | null }> = Omit<
  ActionProps<R, V>,
  "onClose"
>;

export function licenseIssueAction(
  customers: readonly { id: string; name: string; slug: string }[],
  onDone: () => void,
): Action<Issue, IssueVariables> {
  return {
    title: customers.length === 1 ? `New license of ${customers[0].name}` : "New license",
    document: LicenseIssueMutation,
    fields: [
      {
        name: "customerId",
        label: "Customer",
        kind: "select",
        options: customers.map((c) => c.id),
        optionLabels: Object.fromEntries(customers.map((c) => [c.id, `${c.name} (${c.slug})`])),
      },
      { name: "entitlements", label: "Entitlements (comma-separated)", placeholder: "sso, audit-export" },
      { name: "maxMachines", label: "Machines", kind: "number", initial: "1" },
      { name: "planCode", label: "Plan code (optional)" },
      { name: "expiresAt", label: "Expires (optional)", placeholder: "2027-01-31" },
    ],
    variables: (values) => ({
      input: {
        customerId: String(values.customerId),
        entitlements: splitList(values.entitlements),
        maxMachines: Number(values.maxMachines),
        planCode: optional(values.planCode),
        expiresAt: optional(values.expiresAt) === null ? null : (isoDateTime(values.expiresAt) ?? String(values.expiresAt)),
      },
    }),
    preview: (payload) => (
      <p>
        A license for {payload.license?.maxMachines} machine(s), entitled to{" "}
        {payload.license?.entitlements.join(", ") || "nothing"}, expiring {dateTime(payload.license?.expiresAt)}.
      </p>
    ),
    result: (payload) => (
      <>
        <p>The license key, shown this once:</p>
        <div className="secret" data-testid="new-secret">
          {payload.key}
        </div>
        <CopyButton text={payload.key ?? ""} />
      </>
    ),
    confirmLabel: "Issue",
    onDone,
  };
}

export function licenseSuspendAction(id: string, onDone: () => void): Action<Suspend, SuspendVariables> {
  return {
    title: "Suspend the license",
    document: LicenseSuspendMutation,
    variables: () => ({ input: { licenseId: id } }),
    preview: (payload) => (
      <p>
        Status becomes <strong data-testid="preview-status">{payload.license?.status}</strong>.
      </p>
    ),
    confirmLabel: "Suspend",
    danger: true,
    onDone,
  };
}

export function licenseReinstateAction(id: string, onDone: () => void): Action<Reinstate, ReinstateVariables> {
  return {
    title: "Reinstate the license",
    document: LicenseReinstateMutation,
    variables: () => ({ input: { licenseId: id } }),
    preview: (payload) => (
      <p>
        Status becomes <strong data-testid="preview-status">{payload.license?.status}</strong>.
      </p>
    ),
    confirmLabel: "Reinstate",
    onDone,
  };
}

export function licenseRevokeAction(id: string, onDone: () => void): Action<Revoke, RevokeVariables> {
  return {
    title: "Revoke the license",
    document: LicenseRevokeMutation,
    fields: [{ name: "reason", label: "Reason" }],
    variables: (values) => ({ input: { licenseId: id, reason: String(values.reason) } }),
    preview: (payload) => (
      <p>
        Status becomes <strong data-testid="preview-status">{payload.license?.status}</strong>; this cannot be
        undone.
      </p>
    ),
    confirmLabel: "Revoke",
    danger: true,
    onDone,
  };
}
