"""Notifications: store layer."""
