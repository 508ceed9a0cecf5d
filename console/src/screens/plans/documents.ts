import { graphql } from "../../gql";

export const PlansQuery = graphql(`
  query Plans($first: Int!, $after: String, $filter: PlanFilter) {
    plans(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          ...PlanSummaryFields
          id
          description
          trialDays
          status
          version
          subscribersCount
          mrr
          limits {
            monthlyQuota
            ratePerSecond
            seats
            slaPercent
          }
        }
      }
    }
  }
`);

export const PlanArchiveMutation = graphql(`
  mutation PlanArchive($input: PlanArchiveInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    planArchive(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      plan {
        id
        code
        status
        subscribersCount
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const PlanUnarchiveMutation = graphql(`
  mutation PlanUnarchive($input: PlanUnarchiveInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    planUnarchive(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      plan {
        id
        code
        status
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
