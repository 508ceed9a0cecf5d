"""Licenses: Ed25519-signed keys a self-hosted product verifies offline, tied to billing."""
