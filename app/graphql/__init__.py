"""The GraphQL API: one schema assembled from per-domain packages (docs/architecture.md)."""
