"""Techtransfer: api layer."""
