import { graphql } from "../../gql";

export const ApiKeysQuery = graphql(`
  query ApiKeys($first: Int!, $after: String, $filter: ApiKeyFilter, $master: Boolean!) {
    apiKeys(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          ...ApiKeyFields
          customer {
            id
            slug
            name
          }
        }
      }
    }
    apiKeyScopes {
      name
      description
      masterOnly
    }
    # The customers a master may make a key for; a session admin has its own in me.
    customers(first: 100, after: null) @include(if: $master) {
      pageInfo {
        ...PageInfoFields
      }
      nodes {
        id
        slug
        name
      }
    }
  }
`);

export const ApiKeyCreateMutation = graphql(`
  mutation ApiKeyCreate($input: ApiKeyCreateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    apiKeyCreate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      apiKey {
        ...ApiKeyFields
        planCode
        ratePerSecond
        monthlyQuota
      }
      secret
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const ApiKeyRevokeMutation = graphql(`
  mutation ApiKeyRevoke($input: ApiKeyRevokeInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    apiKeyRevoke(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      apiKey {
        id
        name
        status
        revokedAt
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
