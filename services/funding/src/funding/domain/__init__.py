"""Funding: domain layer."""
