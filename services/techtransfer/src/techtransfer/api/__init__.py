"""The techtransfer HTTP API: routes and request schemas."""
