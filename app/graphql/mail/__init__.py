"""GraphQL of mails (master only)."""
