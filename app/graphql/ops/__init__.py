"""GraphQL of operations (master only)."""
