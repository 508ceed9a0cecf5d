"""The plan catalog: plans, their versions, archiving, migrating subscribers to a new version."""
