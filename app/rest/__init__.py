"""Small REST endpoints beside the GraphQL API."""
