"""The Overseas Partnerships Platform's common library.

Every piece of plumbing that two services would otherwise both write lives
here: the CloudEvents envelope, the write model (event records, projections,
claims, relay), the consumer runner, the scheduler, settings, logging,
authentication, problem responses, health and metrics. The pure parts
(`ids`, `clock`, `errors`, `envelope`, `catalogue`, `money`) import no I/O library
and may be used from a service's `domain/`.
"""
