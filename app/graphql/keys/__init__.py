"""GraphQL of the API keys domain."""
