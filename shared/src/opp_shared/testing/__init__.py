"""Test support for the platform's services (a pytest plugin and helpers).

The servers are real: MongoDB (FerretDB locally) and Kafka, started by the
fixtures. Nothing here mocks them.
"""
