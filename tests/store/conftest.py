"""Fixtures for the S3 tests: the C++ helper tools, a moto S3 server, boto3, the fault proxy.

The helpers are built by CMake (tests/store/CMakeLists.txt). They are found through
ML_BUILD_DIR when set, else in the most recently built build/*/ directory of the repo.
moto's server is spawned on a free loopback port per session and stopped afterwards.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUCKET = "ml-pytest"


def find_tool(name):
    candidates = []
    if os.environ.get("ML_BUILD_DIR"):
        candidates.append(Path(os.environ["ML_BUILD_DIR"]) / "tests" / "store" / name)
    candidates += [Path(p) for p in glob.glob(str(REPO / "build" / "*" / "tests" / "store" / name))]
    existing = [p for p in candidates if p.is_file() and os.access(p, os.X_OK)]
    if not existing:
        pytest.skip(
            f"{name} is not built: cmake --build <build-dir> --target {name} "
            "(or set ML_BUILD_DIR)"
        )
    return str(max(existing, key=lambda p: p.stat().st_mtime))


@pytest.fixture(scope="session")
def sigv4_tool():
    return find_tool("ml_sigv4_tool")


@pytest.fixture(scope="session")
def s3_tool():
    return find_tool("ml_s3_tool")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@pytest.fixture(scope="session")
def moto_endpoint():
    """http://127.0.0.1:<port> of a moto S3 server with bucket BUCKET."""
    moto = os.environ.get("ML_MOTO_SERVER") or str(REPO / ".venv" / "bin" / "moto_server")
    if not os.path.exists(moto):
        moto = shutil.which("moto_server")
    if not moto:
        pytest.skip("moto is not installed: pip install 'moto[server]' (CI installs it)")
    port = free_port()
    proc = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_for_port(port):
            pytest.fail(f"moto_server did not listen on {port} within 30s")
        endpoint = f"http://127.0.0.1:{port}"
        boto_client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def boto_client(endpoint):
    boto3 = pytest.importorskip("boto3")
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="session")
def boto(moto_endpoint):
    return boto_client(moto_endpoint)


@pytest.fixture
def fault_proxy(moto_endpoint):
    sys.path.insert(0, str(Path(__file__).parent))
    from fault_proxy import FaultProxy

    port = int(moto_endpoint.rsplit(":", 1)[1])
    proxy = FaultProxy(upstream_port=port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


class MlS3:
    """Runs ml_s3_tool (marketlake's S3 client) and returns its JSON report + exit code."""

    def __init__(self, tool, tmp_path):
        self.tool = tool
        self.tmp_path = tmp_path
        self.counter = 0

    def run(self, endpoint, op, key, *args, secret="testing", timeout=120, **flags):
        cmd = [self.tool, "--endpoint", endpoint, "--bucket", BUCKET, "--secret-key", secret]
        for name, value in flags.items():
            cmd += ["--" + name.replace("_", "-"), str(value)]
        cmd += [op, key, *args]
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
        import json

        out = proc.stdout.decode()
        report = json.loads(out.strip().splitlines()[-1])
        report["exit_code"] = proc.returncode
        report["raw"] = out + proc.stderr.decode()
        return report

    def put(self, endpoint, key, data, *args, **flags):
        self.counter += 1
        path = self.tmp_path / f"in-{self.counter}.bin"
        path.write_bytes(data)
        return self.run(endpoint, "put", key, "--in", str(path), *args, **flags)

    def get(self, endpoint, key, *args, **flags):
        self.counter += 1
        path = self.tmp_path / f"out-{self.counter}.bin"
        report = self.run(endpoint, "get", key, "--out", str(path), *args, **flags)
        report["data"] = path.read_bytes() if path.exists() else None
        return report


@pytest.fixture
def ml(s3_tool, tmp_path):
    return MlS3(s3_tool, tmp_path)
