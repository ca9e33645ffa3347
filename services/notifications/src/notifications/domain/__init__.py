"""Notifications: domain layer (who is told what; pure)."""
