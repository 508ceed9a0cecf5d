// The API key dialogs, opened from the keys list and from a customer's page.
import type { ApiKeyEnvironment } from "../../gql/graphql";
import type { ActionProps } from "../../lib/action";
import { dateTime } from "../../lib/format";
import { optional, isoDateTime, splitList } from "../../lib/split";
import { CopyButton } from "../../ui/CopyButton";
import type { FieldSpec } from "../../ui/Field";
import { ApiKeyCreateMutation, ApiKeyRevokeMutation } from "./documents";
import type { ApiKeyCreateMutation as Create, ApiKeyCreateMutationVariables as CreateVariables } from "../../gql/graphql";
import type { ApiKeyRevokeMutation as Revoke, ApiKeyRevokeMutationVariables as RevokeVariables } from "../../gql/graphql";

const ENVIRONMENTS: readonly ApiKeyEnvironment[] = ["LIVE", "TEST"];

export interface CustomerChoice {
  id: string;
  name: string;
  slug: string;
}

/** Create a key: for one customer (its page), or for one chosen among `customers`. */
export function apiKeyCreateAction(
  customers: readonly CustomerChoice[],
  scopes: readonly { name: string; masterOnly: boolean }[],
  onDone: () => void,
): Omit<ActionProps<Create, CreateVariables>, "onClose"> {
  const fields: FieldSpec[] = [
    {
      name: "customerId",
      label: "Customer",
      kind: "select",
      options: customers.map((customer) => customer.id),
      optionLabels: Object.fromEntries(customers.map((c) => [c.id, `${c.name} (${c.slug})`])),
    },
    { name: "name", label: "Name", placeholder: "production server" },
    { name: "environment", label: "Environment", kind: "select", options: ENVIRONMENTS },
    {
      name: "scopes",
      label: "Scopes (comma-separated)",
      help: scopes.length ? `Known: ${scopes.map((s) => s.name + (s.masterOnly ? " (master)" : "")).join(", ")}` : undefined,
    },
    { name: "expiresAt", label: "Expires (optional)", kind: "text", placeholder: "2027-01-31T00:00" },
  ];
  return {
    title: customers.length === 1 ? `New API key of ${customers[0].name}` : "New API key",
    document: ApiKeyCreateMutation,
    fields,
    variables: (values) => ({
      input: {
        customerId: String(values.customerId),
        name: String(values.name),
        environment: values.environment as ApiKeyEnvironment,
        scopes: splitList(values.scopes),
        expiresAt: optional(values.expiresAt) === null ? null : (isoDateTime(values.expiresAt) ?? String(values.expiresAt)),
      },
    }),
    preview: (payload) => (
      <dl className="props">
        <dt>Name</dt>
        <dd>{payload.apiKey?.name}</dd>
        <dt>Environment</dt>
        <dd>{payload.apiKey?.environment}</dd>
        <dt>Scopes</dt>
        <dd>{payload.apiKey?.scopes.join(", ") || "none"}</dd>
        <dt>Plan limits</dt>
        <dd>
          {payload.apiKey?.planCode ?? "no plan"}: {payload.apiKey?.ratePerSecond ?? "unlimited"} req/s,{" "}
          {payload.apiKey?.monthlyQuota ?? "unlimited"} a month
        </dd>
        <dt>Expires</dt>
        <dd>{dateTime(payload.apiKey?.expiresAt)}</dd>
      </dl>
    ),
    result: (payload) => (
      <>
        <p>
          The secret, shown this once: store it now. Only its start <code>{payload.apiKey?.start}</code> is kept
          for display.
        </p>
        <div className="secret" data-testid="new-secret">
          {payload.secret}
        </div>
        <CopyButton text={payload.secret ?? ""} />
      </>
    ),
    confirmLabel: "Create the key",
    onDone,
  };
}

export function apiKeyRevokeAction(
  key: { id: string; name: string },
  onDone: () => void,
): Omit<ActionProps<Revoke, RevokeVariables>, "onClose"> {
  return {
    title: `Revoke “${key.name}”`,
    document: ApiKeyRevokeMutation,
    fields: [{ name: "reason", label: "Reason (optional)" }],
    variables: (values) => ({ input: { apiKeyId: key.id, reason: optional(values.reason) } }),
    preview: (payload) => (
      <p>
        Status becomes <strong data-testid="preview-status">{payload.apiKey?.status}</strong> at{" "}
        {dateTime(payload.apiKey?.revokedAt)}.
      </p>
    ),
    confirmLabel: "Revoke",
    danger: true,
    onDone,
  };
}
