// The webhook dialogs, shared by the deliveries list and a customer's page.
import type {
  WebhookDeliveryRetryMutation as Retry,
  WebhookDeliveryRetryMutationVariables as RetryVariables,
  WebhookEndpointCreateMutation as Create,
  WebhookEndpointCreateMutationVariables as CreateVariables,
  WebhookEndpointDeleteMutation as Delete,
  WebhookEndpointDeleteMutationVariables as DeleteVariables,
  WebhookEndpointTestMutation as Test,
  WebhookEndpointTestMutationVariables as TestVariables,
} from "../../gql/graphql";
import type { ActionProps } from "../../lib/action";
import { dateTime } from "../../lib/format";
import { optional, splitList } from "../../lib/split";
import { CopyButton } from "../../ui/CopyButton";
import {
  WebhookDeliveryRetryMutation,
  WebhookEndpointCreateMutation,
  WebhookEndpointDeleteMutation,
  WebhookEndpointTestMutation,
} from "./documents";

type Action<R, V extends { dryRun?: boolean | null; idempotencyKey?: string | null }> = Omit<
  ActionProps<R, V>,
  "onClose"
>;

export function endpointCreateAction(
  customer: { id: string; name: string },
  eventTypes: readonly string[],
  onDone: () => void,
): Action<Create, CreateVariables> {
  return {
    title: `New webhook endpoint of ${customer.name}`,
    document: WebhookEndpointCreateMutation,
    fields: [
      { name: "url", label: "URL", placeholder: "https://example.com/hooks/admiral" },
      {
        name: "eventTypes",
        label: "Event types (comma-separated)",
        help: eventTypes.length ? `Known: ${eventTypes.join(", ")}` : undefined,
      },
      { name: "description", label: "Description (optional)" },
    ],
    variables: (values) => ({
      input: {
        customerId: customer.id,
        url: String(values.url).trim(),
        eventTypes: splitList(values.eventTypes),
        description: optional(values.description),
      },
    }),
    preview: (payload) => (
      <p>
        <code>{payload.endpoint?.url}</code> receives {payload.endpoint?.eventTypes.join(", ")}.
      </p>
    ),
    result: (payload) => (
      <>
        <p>The signing secret, shown this once: the receiver checks each delivery's signature with it.</p>
        <div className="secret" data-testid="new-secret">
          {payload.secret}
        </div>
        <CopyButton text={payload.secret ?? ""} />
      </>
    ),
    confirmLabel: "Create the endpoint",
    onDone,
  };
}

export function endpointTestAction(endpoint: { id: string; url: string }, onDone: () => void): Action<Test, TestVariables> {
  return {
    title: `Send a test event to ${endpoint.url}`,
    document: WebhookEndpointTestMutation,
    variables: () => ({ input: { endpointId: endpoint.id } }),
    preview: (payload) => <p>A test delivery is queued for {payload.endpoint?.url}.</p>,
    confirmLabel: "Send",
    onDone,
  };
}

export function endpointDeleteAction(
  endpoint: { id: string; url: string },
  onDone: () => void,
): Action<Delete, DeleteVariables> {
  return {
    title: `Delete the endpoint ${endpoint.url}`,
    document: WebhookEndpointDeleteMutation,
    variables: () => ({ input: { endpointId: endpoint.id } }),
    preview: () => <p>The endpoint is deleted; nothing more is delivered to it.</p>,
    confirmLabel: "Delete",
    danger: true,
    onDone,
  };
}

export function deliveryRetryAction(
  delivery: { id: string; eventType: string },
  onDone: () => void,
): Action<Retry, RetryVariables> {
  return {
    title: `Retry the ${delivery.eventType} delivery`,
    document: WebhookDeliveryRetryMutation,
    variables: () => ({ input: { deliveryId: delivery.id } }),
    preview: (payload) => (
      <p>
        Status becomes <strong data-testid="preview-status">{payload.delivery?.status}</strong>, next attempt{" "}
        {dateTime(payload.delivery?.nextAttemptAt)}.
      </p>
    ),
    confirmLabel: "Retry",
    onDone,
  };
}
