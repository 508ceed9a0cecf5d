"""The GraphQL API: one schema assembled from per-domain packages (DESIGN §5)."""
