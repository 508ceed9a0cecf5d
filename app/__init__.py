"""Admiral: a GraphQL admin API for SaaS businesses."""

__version__ = "0.1.0"
