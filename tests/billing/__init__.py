"""Billing: plans, subscriptions, proration."""
