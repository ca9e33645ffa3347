"""Techtransfer's command handlers: the steps between an API call (or an event, or the
scheduler) and the domain. Each loads what the domain needs, lets it decide, and
records the change through the write model."""
