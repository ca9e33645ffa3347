"""Techtransfer: store layer."""
