"""Usage metering: ingest, the write-behind aggregator, quotas, usage figures."""
