import { graphql } from "../../gql";

export const CouponFields = graphql(`
  fragment CouponFields on Coupon {
    id
    code
    name
    percentOff
    amountOff
    duration
    durationInMonths
    maxRedemptions
    redemptionsCount
    redeemBy
    appliesToPlans
    active
    createdAt
    deletedAt
  }
`);

export const CouponsQuery = graphql(`
  query Coupons($first: Int!, $after: String, $filter: CouponFilter) {
    coupons(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          ...CouponFields
        }
      }
    }
  }
`);

export const CouponCreateMutation = graphql(`
  mutation CouponCreate($input: CouponCreateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    couponCreate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      coupon {
        ...CouponFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const CouponDeleteMutation = graphql(`
  mutation CouponDelete($input: CouponDeleteInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    couponDelete(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      coupon {
        id
        code
        active
        deletedAt
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
