"""GraphQL of the usage domain."""
