"""GraphQL of operations (master only): settings, alerts, system health, background jobs."""
