"""A real S3 API on loopback for tests: moto's server in a thread of the test
process, on a free port, with a fresh bucket. No client is mocked: obstore
(and DuckDB's httpfs) talk HTTP to it as to any S3-compatible store."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

# moto accepts any credentials; set for every client the tests start.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "claimwire-test", "AWS_SECRET_ACCESS_KEY": "claimwire-test",
               "AWS_REGION": "us-east-1"}


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    host_port: str

    def new_bucket(self) -> str:
        """A new empty bucket's name."""
        import boto3

        name = f"cw-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                     aws_access_key_id="claimwire-test",
                     aws_secret_access_key="claimwire-test").create_bucket(Bucket=name)
        return name


@contextmanager
def running_s3() -> Iterator[S3Server]:
    server_mod = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    # One log line per request otherwise.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(endpoint=f"http://{host}:{port}", host_port=f"{host}:{port}")
    finally:
        server.stop()


def set_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    os.environ.pop("AWS_PROFILE", None)
