import { graphql } from "../../gql";

export const SystemQuery = graphql(`
  query System {
    system {
      ...SystemFields
    }
  }
`);

export const JobFields = graphql(`
  fragment JobFields on Job {
    id
    queue
    status
    subject
    attempts
    lastError
    dueAt
    createdAt
    customerId
  }
`);

export const JobsQuery = graphql(`
  query Jobs($first: Int!, $after: String, $filter: JobFilter) {
    jobs(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          ...JobFields
        }
      }
    }
  }
`);

export const JobRetryMutation = graphql(`
  mutation JobRetry($input: JobRetryInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    jobRetry(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      job {
        ...JobFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const JobDiscardMutation = graphql(`
  mutation JobDiscard($input: JobDiscardInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    jobDiscard(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      job {
        ...JobFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
