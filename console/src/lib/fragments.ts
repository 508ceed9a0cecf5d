// Selections every screen repeats, defined once: codegen appends each fragment a document uses
// to that document (and its persisted hash), so nothing else needs importing them.
import { graphql } from "../gql";

export const UserErrorFields = graphql(`
  fragment UserErrorFields on UserError {
    field
    message
    code
  }
`);

export const PageInfoFields = graphql(`
  fragment PageInfoFields on PageInfo {
    hasNextPage
    endCursor
  }
`);

// A plan as the lists and the customer's page show it.
export const PlanSummaryFields = graphql(`
  fragment PlanSummaryFields on Plan {
    code
    name
    price
    interval
  }
`);

export const SubscriptionFields = graphql(`
  fragment SubscriptionFields on Subscription {
    id
    status
    planVersion
    price
    interval
    mrr
    trialEnd
    currentPeriodStart
    currentPeriodEnd
    cancelAtPeriodEnd
    billingOverride
    billingOverrideReason
    limitsOverrideReason
    plan {
      ...PlanSummaryFields
    }
  }
`);

export const ApiKeyFields = graphql(`
  fragment ApiKeyFields on ApiKey {
    id
    name
    start
    environment
    scopes
    status
    enabled
    createdAt
    lastUsedAt
    expiresAt
    revokedAt
  }
`);

export const LicenseFields = graphql(`
  fragment LicenseFields on License {
    id
    keyHint
    status
    planCode
    entitlements
    maxMachines
    issuedAt
    expiresAt
    revokedAt
  }
`);

export const InvoiceRowFields = graphql(`
  fragment InvoiceRowFields on Invoice {
    id
    number
    status
    total
    amountDue
    creditedTotal
    periodStart
    periodEnd
    createdAt
  }
`);

export const WebhookEndpointFields = graphql(`
  fragment WebhookEndpointFields on WebhookEndpoint {
    id
    url
    description
    eventTypes
    enabled
    disabledReason
    failingSince
    createdAt
  }
`);

export const WebhookDeliveryFields = graphql(`
  fragment WebhookDeliveryFields on WebhookDelivery {
    id
    eventType
    status
    attemptCount
    nextAttemptAt
    lastStatusCode
    createdAt
  }
`);

// The system report: the System screen and the dashboard's health panel read the same fields.
export const SystemFields = graphql(`
  fragment SystemFields on System {
    version
    uptimeSeconds
    status
    database {
      ok
      latencyMs
      migrationHead
      migrationsAtHead
      pool {
        size
        inUse
      }
      error
    }
    redis {
      configured
      ok
      latencyMs
    }
    queues {
      name
      loop
      pending
      running
      failed
      oldestAgeSeconds
      status
    }
    usageAggregator {
      enabled
      flushIntervalMs
      pendingEvents
      lastFlushAt
      lastFlushDurationMs
      flushedTotal
      errorsTotal
      lastError
      lagSeconds
    }
    stripe {
      configured
      reachable
    }
    dependencies {
      name
      url
      ok
      latencyMs
      error
    }
  }
`);
