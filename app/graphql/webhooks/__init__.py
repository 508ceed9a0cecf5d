"""GraphQL of customer webhooks."""
