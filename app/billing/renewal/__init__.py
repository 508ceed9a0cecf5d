"""The billing engine: invoicing a subscription's periods, renewals, retries, test clocks."""
