"""Customers: the tenant accounts, their members, invitations and projects."""
