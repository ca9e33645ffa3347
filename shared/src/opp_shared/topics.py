"""Create every topic of the catalogue, its dead-letter topic and its compacted state topic.

    python -m opp_shared.topics                 # uses OPP_KAFKA_* settings
    python -m opp_shared.topics --grant-acls    # then each principal's ACLs (opp_shared.kafka_acls)

docker-compose runs this once before the services start; `make up` too. Both
run it as the admin: on a broker with ACLs a service's principal may not create
topics. Creating a topic that exists is a no-op, so it is safe to run again.
"""

from __future__ import annotations

import asyncio
import sys
import time

from opp_shared import kafka_acls
from opp_shared.catalogue import all_topics, dlq_topic
from opp_shared.kafka import ensure_topics
from opp_shared.settings import ServiceSettings
from opp_shared.state_topics import STATE_TOPIC_CONFIG, state_topic


async def create_all(settings: ServiceSettings) -> list[str]:
    names = [settings.topic(t) for t in all_topics()] + [settings.topic(dlq_topic(t)) for t in all_topics()]
    options = dict(partitions=settings.kafka_topic_partitions, replication_factor=settings.kafka_replication_factor)
    client_options = settings.kafka_client_options()
    created = await ensure_topics(client_options, names, **options)
    states = [settings.topic(state_topic(t)) for t in all_topics()]
    return created + await ensure_topics(client_options, states, **options, config=STATE_TOPIC_CONFIG)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments not in ([], ["--grant-acls"]):
        print("usage: python -m opp_shared.topics [--grant-acls]", file=sys.stderr)
        return 2
    settings = ServiceSettings(service_name="topics")
    for _ in range(30):
        try:
            created = asyncio.run(create_all(settings))
            print(f"topics ready ({len(created)} created)")
            return kafka_acls.main([]) if arguments else 0
        except Exception as exc:  # the broker may still be starting
            print(f"waiting for Kafka at {settings.kafka_bootstrap_servers}: {exc}", file=sys.stderr)
            time.sleep(2)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
