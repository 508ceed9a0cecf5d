"""API keys: issue, list, rotate, revoke, verify with per-plan rate limits; fan-out of a
customer's status and plan to every key it holds."""
