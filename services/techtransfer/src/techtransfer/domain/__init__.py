"""Techtransfer: domain layer."""
