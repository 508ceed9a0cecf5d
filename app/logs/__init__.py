"""Stored logs: the pipeline that writes log entries behind requests, their queries, their
retention, and the error groups their exceptions form."""
