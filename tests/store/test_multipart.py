"""marketlake's multipart S3 writer end to end: `marketlake cp` to sources with sse /
storage_class, checked with boto3 against moto (which records SSE and storage class), and
through the fault proxy (a part that fails permanently leaves no object and no pending
multipart upload; parts in flight stay bounded).
"""

import glob
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUCKET = "ml-pytest"  # created by conftest.moto_endpoint

MiB = 1 << 20


def marketlake_bin():
    candidates = []
    if os.environ.get("MARKETLAKE_BIN"):
        candidates.append(Path(os.environ["MARKETLAKE_BIN"]))
    if os.environ.get("ML_BUILD_DIR"):
        candidates.append(Path(os.environ["ML_BUILD_DIR"]) / "tools" / "marketlake" / "marketlake")
    candidates += [Path(p) for p in glob.glob(str(REPO / "build" / "*" / "tools" / "marketlake" /
                                                   "marketlake"))]
    existing = [p for p in candidates if p.is_file() and os.access(p, os.X_OK)]
    if not existing:
        pytest.skip("marketlake is not built (set MARKETLAKE_BIN or ML_BUILD_DIR)")
    return str(existing[0] if os.environ.get("MARKETLAKE_BIN") or os.environ.get("ML_BUILD_DIR")
               else max(existing, key=lambda p: p.stat().st_mtime))


def write_config(path, endpoint, extra, prefix):
    path.write_text(f"""sources:
  enc:
    bucket: {BUCKET}
    prefix: {prefix}
    endpoint_url: {endpoint}
    access_key_id: testing
    secret_access_key: testing
    region: us-east-1
    provider: minio
    retry: {{max_attempts: 2, connect_timeout: 2}}
{extra}""")
    return path


def env(**more):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MARKETLAKE_"))}
    e.update({"AWS_EC2_METADATA_DISABLED": "true", "HOME": "/nonexistent"})
    e.update(more)
    return e


def cp(config, src, dst, **more):
    return subprocess.run([marketlake_bin(), "--config", str(config), "cp", str(src), dst],
                          capture_output=True, env=env(**more), timeout=300)


def pending_uploads(boto, prefix):
    return boto.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])


@pytest.mark.parametrize("sse,extra,storage_class", [
    ("AES256", "    sse: AES256\n", None),
    ("aws:kms", "    sse: aws:kms\n    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/ml\n",
     None),
    (None, "    storage_class: STANDARD_IA\n", "STANDARD_IA"),
])
def test_multipart_with_write_options(moto_endpoint, boto, tmp_path, sse, extra, storage_class):
    prefix = f"mp-{(sse or storage_class).replace(':', '-')}"
    config = write_config(tmp_path / "ml.yaml", moto_endpoint, extra, prefix)
    data = os.urandom(3 * 5 * MiB + 4321)
    (tmp_path / "big.bin").write_bytes(data)
    p = cp(config, tmp_path / "big.bin", "enc:big.bin", MARKETLAKE_S3_PART_SIZE=str(5 * MiB))
    assert p.returncode == 0, p.stderr
    key = f"{prefix}/big.bin"
    got = boto.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].read() == data
    # A multipart ETag ends in -<parts>.
    assert got["ETag"].strip('"').endswith("-4"), got["ETag"]
    head = boto.head_object(Bucket=BUCKET, Key=key)
    if sse:
        assert head["ServerSideEncryption"] == sse
    if sse == "aws:kms":
        assert head["SSEKMSKeyId"].endswith("key/ml")
    if storage_class:
        assert head["StorageClass"] == storage_class
    assert pending_uploads(boto, prefix) == []

    # Below one part: a single PutObject, same headers.
    (tmp_path / "small.bin").write_bytes(b"tiny")
    assert cp(config, tmp_path / "small.bin", "enc:small.bin").returncode == 0
    head = boto.head_object(Bucket=BUCKET, Key=f"{prefix}/small.bin")
    assert head["ContentLength"] == 4
    assert not head["ETag"].strip('"').endswith("-1")
    if sse:
        assert head["ServerSideEncryption"] == sse
    if storage_class:
        assert head["StorageClass"] == storage_class


def test_failed_part_leaves_no_object_and_no_upload(moto_endpoint, boto, fault_proxy, tmp_path):
    prefix = "mp-fail"
    config = write_config(tmp_path / "ml.yaml", fault_proxy.endpoint, "    sse: AES256\n", prefix)
    original = fault_proxy._next_fault

    def fail_part_two(method, path):
        fault = original(method, path)
        return "400" if method == "PUT" and "partNumber=2&" in path + "&" else fault

    fault_proxy._next_fault = fail_part_two
    data = os.urandom(4 * 5 * MiB)
    (tmp_path / "big.bin").write_bytes(data)
    p = cp(config, tmp_path / "big.bin", "enc:big.bin", MARKETLAKE_S3_PART_SIZE=str(5 * MiB))
    assert p.returncode != 0
    err = p.stderr.decode()
    assert "enc:big.bin" in err and "part 2" in err, err
    assert "testing" not in err.replace(BUCKET, "")
    methods = [(m, path.split("?")[1] if "?" in path else "") for m, path, _ in
               fault_proxy.requests()]
    assert any(m == "DELETE" and "uploadId=" in q for m, q in methods), methods
    assert not any(m == "POST" and q.startswith("uploadId=") for m, q in methods), methods
    with pytest.raises(Exception):
        boto.head_object(Bucket=BUCKET, Key=f"{prefix}/big.bin")
    assert pending_uploads(boto, prefix) == []


def test_parts_in_flight_are_bounded(moto_endpoint, boto, fault_proxy, tmp_path):
    prefix = "mp-bounded"
    config = write_config(tmp_path / "ml.yaml", fault_proxy.endpoint,
                          "    storage_class: STANDARD_IA\n", prefix)
    lock = threading.Lock()
    state = {"now": 0, "max": 0}
    forward = fault_proxy._forward

    def slow_forward(method, target, headers, body):
        part = method == "PUT" and "partNumber=" in target
        if part:
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
            time.sleep(0.3)
        try:
            return forward(method, target, headers, body)
        finally:
            if part:
                with lock:
                    state["now"] -= 1

    fault_proxy._forward = slow_forward
    data = os.urandom(8 * 5 * MiB)
    (tmp_path / "big.bin").write_bytes(data)
    p = cp(config, tmp_path / "big.bin", "enc:big.bin", MARKETLAKE_S3_PART_SIZE=str(5 * MiB),
           MARKETLAKE_S3_MAX_IN_FLIGHT="3")
    assert p.returncode == 0, p.stderr
    assert boto.get_object(Bucket=BUCKET, Key=f"{prefix}/big.bin")["Body"].read() == data
    assert 2 <= state["max"] <= 3, state


def test_lost_completion_response_is_recognised(moto_endpoint, boto, fault_proxy, tmp_path):
    """The completion reaches moto but the connection breaks before the answer: the retry
    gets NoSuchUpload, and the writer recognises its object by the multipart ETag."""
    prefix = "mp-lost-complete"
    config = write_config(tmp_path / "ml.yaml", fault_proxy.endpoint, "    sse: AES256\n", prefix)
    original = fault_proxy._next_fault
    state = {"done": False}

    def reset_first_completion(method, path):
        fault = original(method, path)
        if method == "POST" and "uploadId=" in path and not state["done"]:
            state["done"] = True
            return "reset"
        return fault

    fault_proxy._next_fault = reset_first_completion
    data = os.urandom(2 * 5 * MiB + 1)
    (tmp_path / "big.bin").write_bytes(data)
    p = cp(config, tmp_path / "big.bin", "enc:big.bin", MARKETLAKE_S3_PART_SIZE=str(5 * MiB))
    assert p.returncode == 0, p.stderr
    assert state["done"]
    assert boto.get_object(Bucket=BUCKET, Key=f"{prefix}/big.bin")["Body"].read() == data
    posts = [path for m, path, _ in fault_proxy.requests() if m == "POST" and "uploadId=" in path]
    assert len(posts) == 2, posts
