"""The partners service: partner organizations, agreements, joint research centers, portfolios."""
