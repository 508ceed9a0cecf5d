"""Every change leaves a trace: the hash-chained audit trail, idempotency records, units of work."""
