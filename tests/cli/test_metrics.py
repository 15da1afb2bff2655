"""`marketlake -v` counts the data path through Arrow's S3 filesystem too: `cat` of a remote
Parquet file (HEAD and ranged GETs, no marketlake REST client involved) and `cp` downloads
report requests and bytes read, and they agree with what a recording proxy in front of moto
saw. The source has no sse, so nothing goes through marketlake's own writer.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MOTO_BUCKET = BUCKET = "ml-datapath"
LINE = re.compile(r"^marketlake: s3 requests \[source plain at http://127\.0\.0\.1:\d+\]: "
                  r"requests=(\d+) errors=(\d+) retries=(\d+) bytes_out=(\d+) bytes_in=(\d+) "
                  r"latency_mean_ms=[\d.]+ latency_max_ms=[\d.]+$", re.M)


@pytest.fixture()
def proxy(moto):
    """tests/store/fault_proxy.py in front of moto, recording method, target and response
    body size of every request."""
    sys.path.insert(0, str(REPO / "tests" / "store"))
    from fault_proxy import FaultProxy

    p = FaultProxy(upstream_port=int(moto.rsplit(":", 1)[1]))
    p.seen = []
    lock = threading.Lock()
    forward = p._forward

    def recording_forward(method, target, headers, body):
        status, reason, resp_headers, payload = forward(method, target, headers, body)
        with lock:
            p.seen.append((method, target, len(payload)))
        return status, reason, resp_headers, payload

    p._forward = recording_forward
    p.start()
    yield p
    p.stop()


def env_for(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MARKETLAKE_"))}
    e.update({"AWS_EC2_METADATA_DISABLED": "true", "HOME": str(tmp_path / "home")})
    return e


def config_for(tmp_path, endpoint):
    path = tmp_path / "ml.yaml"
    path.write_text(f"""sources:
  plain:
    bucket: {BUCKET}
    endpoint_url: {endpoint}
    access_key_id: testing
    secret_access_key: testing
    region: us-east-1
    provider: minio
""")
    return path


def run(*args, env):
    return subprocess.run([str(a) for a in args], capture_output=True, env=env, timeout=300)


def metrics(stderr: bytes):
    err = stderr.decode()
    m = LINE.search(err)
    assert m, err
    return dict(zip(("requests", "errors", "retries", "bytes_out", "bytes_in"),
                    map(int, m.groups())))


def test_verbose_cat_counts_ranged_reads(marketlake_bin, tmp_path, moto, proxy):
    env = env_for(tmp_path)
    local = tmp_path / "t.parquet"
    p = run(marketlake_bin, "generate", "trades", "--symbols", "20", "--days", "1", "--rows",
            "200000", "--out", local, env=env)
    assert p.returncode == 0, p.stderr
    import boto3

    boto3.client("s3", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").upload_file(str(local), BUCKET, "d/t.parquet")
    config = config_for(tmp_path, proxy.endpoint)

    p = run(marketlake_bin, "-v", "--config", config, "cat", "plain:d/t.parquet", "--limit",
            "5", env=env)
    assert p.returncode == 0, p.stderr
    m = metrics(p.stderr)
    gets = [(t, n) for meth, t, n in proxy.seen if meth == "GET" and "t.parquet" in t]
    assert gets, proxy.seen
    # Every request the store saw was counted, and the bytes read are the GET bodies.
    assert m["requests"] == len(proxy.seen), (m, proxy.seen)
    assert m["bytes_in"] == sum(n for _, n in gets), (m, gets)
    assert m["bytes_in"] > 0
    assert m["errors"] == 0 and m["retries"] == 0 and m["bytes_out"] == 0

    # Without -v: no metrics line.
    p = run(marketlake_bin, "--config", config, "cat", "plain:d/t.parquet", "--limit", "5",
            env=env)
    assert p.returncode == 0, p.stderr
    assert b"s3 requests" not in p.stderr


def test_verbose_cp_download_counts_bytes(marketlake_bin, tmp_path, moto, proxy):
    env = env_for(tmp_path)
    data = os.urandom((40 << 20) + 12345)  # three 16 MiB ranges
    src = tmp_path / "blob.bin"
    src.write_bytes(data)
    import boto3

    boto3.client("s3", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").upload_file(str(src), BUCKET, "d/blob.bin")
    config = config_for(tmp_path, proxy.endpoint)
    out = tmp_path / "back.bin"
    p = run(marketlake_bin, "-v", "--config", config, "cp", "plain:d/blob.bin", out, env=env)
    assert p.returncode == 0, p.stderr
    assert out.read_bytes() == data
    m = metrics(p.stderr)
    gets = [n for meth, t, n in proxy.seen if meth == "GET"]
    assert len(gets) == 3, proxy.seen
    assert m["bytes_in"] == len(data) == sum(gets)
    assert m["requests"] == len(proxy.seen) == 4, (m, proxy.seen)  # HEAD + 3 GETs
