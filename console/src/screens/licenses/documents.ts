import { graphql } from "../../gql";

export const LicensesQuery = graphql(`
  query Licenses($first: Int!, $after: String, $filter: LicenseFilter, $master: Boolean!) {
    licenses(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          ...LicenseFields
          customer {
            id
            name
          }
          machines {
            id
          }
        }
      }
    }
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

export const LicenseIssueMutation = graphql(`
  mutation LicenseIssue($input: LicenseIssueInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    licenseIssue(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      license {
        ...LicenseFields
      }
      key
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const LicenseSuspendMutation = graphql(`
  mutation LicenseSuspend($input: LicenseSuspendInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    licenseSuspend(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      license {
        id
        status
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const LicenseReinstateMutation = graphql(`
  mutation LicenseReinstate($input: LicenseReinstateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    licenseReinstate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      license {
        id
        status
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const LicenseRevokeMutation = graphql(`
  mutation LicenseRevoke($input: LicenseRevokeInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    licenseRevoke(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      license {
        id
        status
        revokedAt
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
