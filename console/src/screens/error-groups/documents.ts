import { graphql } from "../../gql";

export const ErrorGroupsQuery = graphql(`
  query ErrorGroups($first: Int!, $after: String, $filter: ErrorGroupFilter) {
    errorGroups(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          fingerprint
          title
          errorType
          place
          count
          firstSeen
          lastSeen
          sampleRequestId
        }
      }
    }
  }
`);
