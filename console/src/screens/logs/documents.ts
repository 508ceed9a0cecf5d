import { graphql } from "../../gql";

export const LogsQuery = graphql(`
  query Logs($first: Int!, $after: String, $filter: LogFilter) {
    logs(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          id
          createdAt
          level
          logger
          message
          requestId
          operationName
          principalId
          principalKind
          durationMs
          data
          errorType
          errorPlace
          fingerprint
          stack
        }
      }
    }
  }
`);

export const LogTestMutation = graphql(`
  mutation LogTest($input: LogTestInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    logTest(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      entry {
        id
        level
        message
        requestId
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const LogsPruneMutation = graphql(`
  mutation LogsPrune($input: LogsPruneInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    logsPrune(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      deleted
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
