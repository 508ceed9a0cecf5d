"""GraphQL of the projects domain."""
