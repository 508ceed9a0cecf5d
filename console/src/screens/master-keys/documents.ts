import { graphql } from "../../gql";

export const MasterKeysQuery = graphql(`
  query MasterKeys($first: Int!, $after: String, $filter: MasterKeyFilter) {
    masterKeys(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          id
          name
          prefix
          createdBy
          createdAt
          lastUsedAt
          revokedAt
          active
        }
      }
    }
  }
`);

export const MasterKeyCreateMutation = graphql(`
  mutation MasterKeyCreate($input: MasterKeyCreateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    masterKeyCreate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      masterKey {
        id
        name
        prefix
      }
      key
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const MasterKeyRevokeMutation = graphql(`
  mutation MasterKeyRevoke($input: MasterKeyRevokeInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    masterKeyRevoke(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      masterKey {
        id
        name
        active
        revokedAt
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
