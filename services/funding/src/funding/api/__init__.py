"""Funding: api layer."""
