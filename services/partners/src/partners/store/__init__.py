"""Partners' storage: repositories over the shared write model, claims, and query helpers."""
