"""Funding: store layer."""
