"""The notifications service: reacts to every platform event with inbox entries, email and webhooks."""
