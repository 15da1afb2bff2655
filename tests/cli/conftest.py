"""Shared by the CLI suites: where the marketlake binary is, and an S3 server.

$MARKETLAKE_BIN, else build/release/tools/marketlake/marketlake under the repository root.
`moto` starts moto's S3 server on a free loopback port for a test module and yields its
endpoint; a module that sets MOTO_BUCKET gets that bucket created.
"""
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def marketlake_bin() -> Path:
    env = os.environ.get("MARKETLAKE_BIN")
    path = Path(env) if env else REPO / "build/release/tools/marketlake/marketlake"
    if not path.exists():
        pytest.skip(f"marketlake binary not built: {path}")
    return path


MOTO = REPO / ".venv/bin/moto_server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto(request):
    if not MOTO.exists():
        pytest.skip(f"moto_server not installed at {MOTO}")
    port = free_port()
    proc = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline:
                proc.terminate()
                pytest.fail("moto_server did not start")
            time.sleep(0.1)
    endpoint = f"http://127.0.0.1:{port}"
    bucket = getattr(request.module, "MOTO_BUCKET", None)
    if bucket:
        import boto3  # in the pinned venv

        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=bucket)
    yield endpoint
    proc.terminate()
    proc.wait(timeout=10)
