import { graphql } from "../../gql";

export const AlertsQuery = graphql(`
  query Alerts($first: Int!, $after: String, $filter: AlertFilter) {
    alerts(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          id
          kind
          message
          value
          threshold
          status
          firedAt
          resolvedAt
          delivered
          deliveryError
        }
      }
    }
  }
`);
