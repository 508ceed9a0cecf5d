import { graphql } from "../../gql";

export const SubscriptionChangePlanMutation = graphql(`
  mutation SubscriptionChangePlan($input: SubscriptionChangePlanInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    subscriptionChangePlan(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      subscription {
        ...SubscriptionFields
      }
      prorationLines {
        description
        periodStart
        periodEnd
        amount
      }
      invoice {
        id
        total
        amountDue
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const SubscriptionTrialSetMutation = graphql(`
  mutation SubscriptionTrialSet($input: SubscriptionTrialSetInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    subscriptionTrialSet(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      subscription {
        id
        status
        trialEnd
        currentPeriodEnd
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const CustomerCreditGrantMutation = graphql(`
  mutation CustomerCreditGrant($input: CustomerCreditGrantInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    customerCreditGrant(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      creditTransaction {
        id
        amount
        currency
        expiresAt
      }
      customer {
        id
        creditBalance
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const CouponApplyMutation = graphql(`
  mutation CouponApply($input: CouponApplyInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    couponApply(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      discount {
        id
        code
        name
        percentOff
        amountOff
        duration
        endsAt
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const InvoiceCreateMutation = graphql(`
  mutation InvoiceCreate($input: InvoiceCreateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    invoiceCreate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      invoice {
        ...InvoiceRowFields
        subtotal
        taxTotal
        lines {
          description
          quantity
          amount
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const CreditNoteCreateMutation = graphql(`
  mutation CreditNoteCreate($input: CreditNoteCreateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    creditNoteCreate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      creditNote {
        id
        number
        amount
        refundTo
      }
      invoice {
        id
        creditedTotal
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const BillingOverrideSetMutation = graphql(`
  mutation BillingOverrideSet($input: BillingOverrideSetInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    billingOverrideSet(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      subscription {
        id
        billingOverride
        billingOverrideReason
        plan {
          code
          name
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
