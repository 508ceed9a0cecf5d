"""Subscriptions: create, change plan with proration, trials, cancel, resume, overrides."""
