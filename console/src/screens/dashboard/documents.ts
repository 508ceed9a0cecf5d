import { graphql } from "../../gql";

export const CostsFields = graphql(`
  fragment CostsFields on Costs {
    period
    source
    confidence
    fetchedAt
    fallbackReason
    total
    byCategory {
      category
      amount
    }
  }
`);

// The whole dashboard in one request: the business figures (master only, as the screen is)
// and the daily usage of every customer over the same range.
export const DashboardQuery = graphql(`
  query Dashboard($from: Date!, $to: Date!, $lastPeriod: String!) {
    metrics {
      overview {
        startDate
        endDate
        usersTotal
        usersActive
        usersNew
        customersTotal
        customersActive
        activeSubscriptions
        trialingSubscriptions
        mrr
        arr
        churnRate
        trialConversion
        unreadFeedback
        usageThisPeriod
      }
      revenue(from: $from, to: $to) {
        revenue
        costs
        grossMargin
        grossMarginPercent
        refunds
        creditsGranted
        mrrByPlan {
          planCode
          planName
          subscribers
          mrr
          revenue
        }
        movements {
          new
          expansion
          contraction
          churned
          reactivation
          net
        }
        byDay {
          date
          revenue
          invoicesPaid
        }
      }
      funnel(from: $from, to: $to) {
        current {
          startDate
          endDate
          steps {
            name
            count
            conversion
          }
        }
        previous {
          startDate
          endDate
          steps {
            name
            count
          }
        }
      }
      thisMonth: costs {
        ...CostsFields
      }
      lastMonth: costs(period: $lastPeriod) {
        ...CostsFields
      }
      predictions(horizonMonths: 12) {
        horizonMonths
        observedFrom
        observedTo
        usersMonthlyGrowth
        payingMonthlyChurn
        mrrMonthlyNetGrowth
        scenarios {
          name
          growthFactor
          churnFactor
          months {
            month
            users
            payingCustomers
            mrr
          }
        }
        runway {
          cashBalance
          monthlyNetBurn
          months
          runsOutOn
        }
        rateLimitHeadroom {
          planLimitTotal
          peakRequestsPerSecond
          headroom
        }
      }
    }
    usageDaily(from: $from, to: $to) {
      date
      metric
      quantity
    }
    # Nullable: a report that fails leaves the figures standing, and the panel says so.
    system {
      ...SystemFields
    }
  }
`);
