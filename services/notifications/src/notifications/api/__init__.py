"""Notifications: api layer."""
