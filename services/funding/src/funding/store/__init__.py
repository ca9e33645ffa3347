"""Funding: store layer (list queries, the schedule's queries, the view of partners' agreements)."""
