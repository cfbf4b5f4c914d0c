"""Shared fixtures: the real broker and the real mongod.

They are reused when already listening on the test ports (a running ``movierecs up`` or a CI script started
them); otherwise they are started under ``.state/test`` and stopped at the end. Tests isolate themselves with a
fresh topic and a fresh database name instead of sharing state.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymongo
import pytest

from movierecs.stack.servers import BrokerServer, MongoServer

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_STATE_DIR = REPO_ROOT / ".state" / "test"


@dataclass(frozen=True)
class Servers:
    kafka_bootstrap: str
    mongo_uri: str


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    broker = BrokerServer(TEST_STATE_DIR, port=_port("MOVIERECS_TEST_KAFKA_PORT", 9092))
    mongo = MongoServer(TEST_STATE_DIR, port=_port("MOVIERECS_TEST_MONGO_PORT", 27017))
    started = []
    for server in (broker, mongo):
        if not server.is_healthy():
            server.start()
            started.append(server)
    try:
        yield Servers(kafka_bootstrap=broker.address, mongo_uri=mongo.uri)
    finally:
        for server in reversed(started):
            server.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(servers: Servers) -> str:
    return servers.kafka_bootstrap


@pytest.fixture(scope="session")
def mongo_uri(servers: Servers) -> str:
    return servers.mongo_uri


@pytest.fixture(scope="session")
def mongo_client(mongo_uri: str) -> Iterator[pymongo.MongoClient]:
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    yield client
    client.close()


@pytest.fixture
def mongo_db_name(mongo_client: pymongo.MongoClient) -> Iterator[str]:
    """A database of this test's own, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield name
    mongo_client.drop_database(name)


@pytest.fixture
def topic(kafka_bootstrap: str) -> str:
    """A topic of this test's own with three partitions (the broker keeps data in memory)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    name = f"test.events.{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
        finally:
            await admin.close()

    asyncio.run(create())
    return name
