"""Plans, and later subscriptions, invoices, coupons and the billing gateways."""
