"""Root conftest: the platform's pytest plugin (real-server fixtures and helpers)."""

pytest_plugins = ["opp_shared.testing.plugin"]
