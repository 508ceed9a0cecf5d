import { graphql } from "../../gql";

export const CustomersListQuery = graphql(`
  query CustomersList($first: Int!, $after: String, $filter: CustomerFilter) {
    customers(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          id
          slug
          name
          status
          billingEmail
          createdAt
          plan {
            code
            name
          }
          members(first: 1) {
            totalCount
          }
          projects(first: 1) {
            totalCount
          }
        }
      }
    }
  }
`);

export const EffectiveLimitFields = graphql(`
  fragment EffectiveLimitFields on EffectiveLimit {
    value
    source
  }
`);

export const CustomerDetailQuery = graphql(`
  query CustomerDetail($id: ID!, $master: Boolean!) {
    customer(id: $id) {
      id
      slug
      name
      status
      billingEmail
      createdAt
      updatedAt
      deactivatedAt
      deactivationReason @include(if: $master)
      creditBalance
      lifetimeValue
      mrr
      openInvoicesCount
      plan {
        ...PlanSummaryFields
      }
      subscription {
        ...SubscriptionFields
      }
      effectiveLimits {
        monthlyQuota {
          ...EffectiveLimitFields
        }
        ratePerSecond {
          ...EffectiveLimitFields
        }
        seats {
          ...EffectiveLimitFields
        }
        slaPercent {
          ...EffectiveLimitFields
        }
        overrideReason
      }
      discounts {
        id
        code
        name
        percentOff
        amountOff
        duration
        endsAt
      }
      invoices(first: 20) {
        totalCount
        nodes {
          ...InvoiceRowFields
        }
      }
      apiKeys(first: 20) {
        totalCount
        nodes {
          ...ApiKeyFields
        }
      }
      webhookEndpoints(first: 20) {
        totalCount
        nodes {
          ...WebhookEndpointFields
        }
      }
      members(first: 100) {
        totalCount
        nodes {
          id
          role
          createdAt
          user {
            id
            email
            name
            status
          }
        }
      }
      invitations(first: 50) {
        totalCount
        nodes {
          id
          email
          role
          status
          createdAt
          expiresAt
        }
      }
      projects(first: 100) {
        totalCount
        nodes {
          id
          name
          slug
          createdAt
        }
      }
      notes(first: 50) @include(if: $master) {
        totalCount
        nodes {
          id
          body
          authorId
          createdAt
        }
      }
    }
    licenses(first: 20, after: null, filter: { customerId: $id }) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      nodes {
        ...LicenseFields
      }
    }
    # What the billing dialogs offer: the plans to move to, the scopes a key may carry.
    plans(first: 100, after: null) @include(if: $master) {
      pageInfo {
        ...PageInfoFields
      }
      nodes {
        ...PlanSummaryFields
      }
    }
    apiKeyScopes {
      name
      masterOnly
    }
    webhookEventTypes {
      type
    }
  }
`);


export const CustomerUpdateMutation = graphql(`
  mutation CustomerUpdate($input: CustomerUpdateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    customerUpdate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      customer {
        id
        name
        slug
        billingEmail
        plan {
          code
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const CustomerDeactivateMutation = graphql(`
  mutation CustomerDeactivate($input: CustomerDeactivateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    customerDeactivate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      customer {
        id
        status
        deactivatedAt
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const CustomerReactivateMutation = graphql(`
  mutation CustomerReactivate($input: CustomerReactivateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    customerReactivate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      customer {
        id
        status
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const MemberAddMutation = graphql(`
  mutation MemberAdd($input: MemberAddInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    memberAdd(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      membership {
        id
        role
        user {
          email
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const MemberRoleUpdateMutation = graphql(`
  mutation MemberRoleUpdate($input: MemberRoleUpdateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    memberRoleUpdate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      membership {
        id
        role
        user {
          email
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const MemberRemoveMutation = graphql(`
  mutation MemberRemove($input: MemberRemoveInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    memberRemove(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      removedMembershipId
      customer {
        id
        members(first: 1) {
          totalCount
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const InvitationCreateMutation = graphql(`
  mutation InvitationCreate($input: InvitationCreateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    invitationCreate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      invitation {
        id
        email
        role
        expiresAt
      }
      acceptUrl
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const InvitationRevokeMutation = graphql(`
  mutation InvitationRevoke($input: InvitationRevokeInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    invitationRevoke(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      invitation {
        id
        email
        status
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const ProjectCreateMutation = graphql(`
  mutation ProjectCreate($input: ProjectCreateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    projectCreate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      project {
        id
        name
        slug
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const ProjectUpdateMutation = graphql(`
  mutation ProjectUpdate($input: ProjectUpdateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    projectUpdate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      project {
        id
        name
        slug
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const ProjectDeleteMutation = graphql(`
  mutation ProjectDelete($input: ProjectDeleteInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    projectDelete(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      deletedProjectId
      customer {
        id
        projects(first: 1) {
          totalCount
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const CustomerNoteCreateMutation = graphql(`
  mutation CustomerNoteCreate($input: CustomerNoteCreateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    customerNoteCreate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      customerNote {
        id
        body
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
