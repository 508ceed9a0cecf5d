import { graphql } from "../../gql";

export const AuditEventsQuery = graphql(`
  query AuditEvents($first: Int!, $after: String, $filter: AuditEventFilter, $master: Boolean!) {
    auditEvents(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          id
          seq
          createdAt
          actorType
          actorId
          impersonatorId
          action
          targetType
          targetId
          customerId
          diff
          requestId
          clientAddr @include(if: $master)
        }
      }
    }
  }
`);

export const AuditChainVerifyQuery = graphql(`
  query AuditChainVerify {
    auditChainVerify {
      ok
      checked
      firstBrokenId
    }
  }
`);

// A signed link, valid a few minutes: the browser downloads it without the Bearer header.
export const AuditExportUrlQuery = graphql(`
  query AuditExportUrl($startDate: Date, $endDate: Date) {
    exportUrl(kind: AUDIT, startDate: $startDate, endDate: $endDate)
  }
`);
