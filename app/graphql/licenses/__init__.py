"""GraphQL of the licenses domain."""
