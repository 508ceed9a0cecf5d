import { graphql } from "../../gql";

export const WebhookDeliveriesQuery = graphql(`
  query WebhookDeliveries($first: Int!, $after: String, $filter: WebhookDeliveryFilter) {
    webhookDeliveries(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          ...WebhookDeliveryFields
          endpoint {
            id
            url
            customer {
              id
              name
            }
          }
        }
      }
    }
  }
`);

export const WebhookEventTypesQuery = graphql(`
  query WebhookEventTypes {
    webhookEventTypes {
      type
      description
    }
  }
`);

export const WebhookEndpointCreateMutation = graphql(`
  mutation WebhookEndpointCreate($input: WebhookEndpointCreateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    webhookEndpointCreate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      endpoint {
        ...WebhookEndpointFields
      }
      secret
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const WebhookEndpointTestMutation = graphql(`
  mutation WebhookEndpointTest($input: WebhookEndpointTestInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    webhookEndpointTest(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      endpoint {
        id
        url
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const WebhookEndpointDeleteMutation = graphql(`
  mutation WebhookEndpointDelete($input: WebhookEndpointDeleteInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    webhookEndpointDelete(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      deletedEndpointId
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const WebhookDeliveryRetryMutation = graphql(`
  mutation WebhookDeliveryRetry($input: WebhookDeliveryRetryInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    webhookDeliveryRetry(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      delivery {
        ...WebhookDeliveryFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
