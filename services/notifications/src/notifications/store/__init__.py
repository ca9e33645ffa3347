"""Notifications: its records (inbox entries, read state, deliveries, secrets, stream tickets) and queries."""
