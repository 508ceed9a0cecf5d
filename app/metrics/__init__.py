"""Metrics: what the business (and each customer admin) can see about itself, computed in SQL."""
