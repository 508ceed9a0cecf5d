"""The `metrics` query (master), `myOverview` (session admins), cost entries, export links."""
