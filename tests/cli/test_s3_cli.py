"""The format verbs over S3: inspect, cat, describe and convert read s3:// and SOURCE:key
Parquet and write s3:// outputs, with exactly the results of the local run. moto's server on
a loopback port, reached through a configuration file with endpoint_url; the source asks for
SSE so outputs go through marketlake's multipart writer. A fault proxy in front of moto
records every request, which shows that `cat` with a selective predicate fetches byte
ranges, not the whole object.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUCKET = "ml-s3cli"


@pytest.fixture(scope="module")
def boto(moto):
    boto3 = pytest.importorskip("boto3")
    c = boto3.client("s3", endpoint_url=moto, region_name="us-east-1",
                     aws_access_key_id="testing", aws_secret_access_key="testing")
    c.create_bucket(Bucket=BUCKET)
    return c


@pytest.fixture()
def proxy(moto):
    """The fault proxy (tests/store/fault_proxy.py) in front of moto, recording response
    sizes and Range headers of every GET."""
    sys.path.insert(0, str(REPO / "tests" / "store"))
    from fault_proxy import FaultProxy

    p = FaultProxy(upstream_port=int(moto.rsplit(":", 1)[1]))
    p.gets = []
    lock = threading.Lock()
    forward = p._forward

    def recording_forward(method, target, headers, body):
        status, reason, resp_headers, payload = forward(method, target, headers, body)
        if method == "GET":
            rng = next((v for n, v in headers if n.lower() == "range"), None)
            with lock:
                p.gets.append((target, rng, len(payload)))
        return status, reason, resp_headers, payload

    p._forward = recording_forward
    p.start()
    yield p
    p.stop()


def make_env(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MARKETLAKE_"))}
    e.update({"AWS_EC2_METADATA_DISABLED": "true", "HOME": str(tmp_path / "home")})
    return e


def write_config(tmp_path, endpoint, name="ml.yaml"):
    path = tmp_path / name
    path.write_text(f"""sources:
  lake:
    bucket: {BUCKET}
    prefix: cli
    endpoint_url: {endpoint}
    access_key_id: testing
    secret_access_key: testing
    region: us-east-1
    provider: minio
    sse: AES256
    retry: {{max_attempts: 2, connect_timeout: 2}}
""")
    return path


def run(bin_path, *args, env, timeout=300):
    p = subprocess.run([str(bin_path), *map(str, args)], capture_output=True, env=env,
                       timeout=timeout)
    assert p.returncode >= 0, f"killed by signal {-p.returncode}: {args}"
    return p


def ok(p):
    assert p.returncode == 0, (p.returncode, p.stderr.decode(errors="replace"))
    return p.stdout.decode()


@pytest.fixture(scope="module")
def trades(tmp_path_factory, marketlake_bin):
    """A (symbol, ts)-sorted trades file, several MiB, and its bytes."""
    d = tmp_path_factory.mktemp("trades")
    env = make_env(d)
    ok(run(marketlake_bin, "generate", "trades", "--symbols", "40", "--days", "2", "--rows",
           "400000", "--out", d / "raw.parquet", env=env))
    ok(run(marketlake_bin, "convert", d / "raw.parquet", d / "t.parquet", "--sort-by",
           "symbol,ts", env=env))
    return d / "t.parquet"


def without_paths(text: str, *paths) -> str:
    for p in paths:
        text = text.replace(str(p), "FILE")
    return text


def test_read_verbs_equal_local(marketlake_bin, tmp_path, moto, boto, trades):
    env = make_env(tmp_path)
    config = write_config(tmp_path, moto)
    boto.upload_file(str(trades), BUCKET, "cli/in/t.parquet")
    places = [f"s3://{BUCKET}/cli/in/t.parquet", "lake:in/t.parquet"]
    c = ["--config", config]
    where = "symbol = 'DIS' and size >= 100"
    for verb_args in (["inspect"], ["inspect", "--json"], ["describe"], ["describe", "--json"]):
        local = ok(run(marketlake_bin, *c, verb_args[0], trades, *verb_args[1:], env=env))
        for place in places:
            remote = ok(run(marketlake_bin, *c, verb_args[0], place, *verb_args[1:], env=env))
            assert without_paths(remote, place) == without_paths(local, trades), (verb_args,
                                                                                  place)
    local = run(marketlake_bin, *c, "cat", trades, "--where", where, "--stats-json", env=env)
    ok(local)
    assert local.stdout.count(b"\n") > 1
    for place in places:
        remote = run(marketlake_bin, *c, "cat", place, "--where", where, "--stats-json",
                     env=env)
        assert ok(remote) == local.stdout.decode()
        assert json.loads(remote.stderr) == json.loads(local.stderr)


def test_convert_writes_s3_outputs_equal_to_local(marketlake_bin, tmp_path, moto, boto, trades):
    pq = pytest.importorskip("pyarrow.parquet")
    env = make_env(tmp_path)
    config = write_config(tmp_path, moto)
    c = ["--config", config]
    boto.upload_file(str(trades), BUCKET, "cli/conv/t.parquet")
    # Parquet -> CSV and CSV -> Parquet, local and remote, from SOURCE:key and s3://.
    ok(run(marketlake_bin, *c, "convert", trades, tmp_path / "t.csv", env=env))
    ok(run(marketlake_bin, *c, "convert", "lake:conv/t.parquet", "lake:conv/t.csv", env=env))
    ok(run(marketlake_bin, *c, "convert", tmp_path / "t.csv", tmp_path / "back.parquet",
           "--sort-by", "symbol,ts", env=env))
    ok(run(marketlake_bin, *c, "convert", f"s3://{BUCKET}/cli/conv/t.csv",
           f"s3://{BUCKET}/cli/conv/back.parquet", "--sort-by", "symbol,ts", env=env))

    csv = boto.get_object(Bucket=BUCKET, Key="cli/conv/t.csv")
    assert csv["Body"].read() == (tmp_path / "t.csv").read_bytes()
    assert csv["ServerSideEncryption"] == "AES256"  # written by marketlake's own writer
    remote_pq = tmp_path / "remote-back.parquet"
    boto.download_file(BUCKET, "cli/conv/back.parquet", str(remote_pq))
    assert pq.read_table(remote_pq).equals(pq.read_table(tmp_path / "back.parquet"))
    assert remote_pq.read_bytes() == (tmp_path / "back.parquet").read_bytes()
    head = boto.head_object(Bucket=BUCKET, Key="cli/conv/back.parquet")
    assert head["ServerSideEncryption"] == "AES256"


def test_cat_reads_only_byte_ranges(marketlake_bin, tmp_path, boto, proxy, trades):
    env = make_env(tmp_path)
    config = write_config(tmp_path, proxy.endpoint)
    boto.upload_file(str(trades), BUCKET, "cli/ranges/t.parquet")
    size = trades.stat().st_size
    p = run(marketlake_bin, "--config", config, "cat", "lake:ranges/t.parquet", "--where",
            "symbol = 'DIS'", "--stats-json", env=env)
    ok(p)
    assert p.stdout.count(b"\n") > 1
    stats = json.loads(p.stderr)
    gets = [g for g in proxy.gets if "ranges/t.parquet" in g[0]]
    assert gets, proxy.requests()
    fetched = sum(n for _, _, n in gets)
    # Every GET of the object asked for a byte range, and together they are a small part of
    # the object (the footer plus the matching symbol's pages).
    assert all(rng and rng.startswith("bytes=") for _, rng, _ in gets), gets
    assert fetched < size / 4, (fetched, size, gets)
    assert stats["bytes_read"] < stats["bytes_total"] / 4, stats
