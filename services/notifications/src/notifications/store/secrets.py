"""Webhook signing secrets, kept apart from the endpoint's state (which is published).

One record per secret, inserted once and never changed; the endpoint's state
says which of them still sign. They are stored as given (`whsec_` + base64),
since signing needs them; the database is the service's own.
"""

from __future__ import annotations

import base64
import secrets as random_secrets

from opp_shared.ids import new_id
from opp_shared.ports import Records


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(random_secrets.token_bytes(24)).decode()


class WebhookSecrets:
    def __init__(self, records: Records) -> None:
        self.records = records

    async def add(self, endpoint_id: str | None, created_at: str) -> tuple[str, str]:
        """A new secret; answers (its id, the secret)."""
        secret_id, secret = new_id("sec"), new_secret()
        await self.records.insert_once(
            {"_id": secret_id, "endpoint_id": endpoint_id, "secret": secret, "created_at": created_at}
        )
        return secret_id, secret

    async def get(self, secret_ids: list[str]) -> list[str]:
        found = []
        for secret_id in secret_ids:
            record = await self.records.get(secret_id)
            if record is not None:
                found.append(str(record["secret"]))
        return found
