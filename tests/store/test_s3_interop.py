"""marketlake's S3 client against a real S3 implementation (moto) and boto3 on the same
server: conditional writes, ranged reads, awkward keys both ways, upload options, secrets."""

import pytest

BUCKET = "ml-pytest"  # created by conftest.moto_endpoint

AWKWARD_KEYS = [
    "plain/file.parquet",
    "with space/and more spaces.parquet",
    "plus+sign+c++.parquet",
    "ünïcødé/日本語/😀.parquet",
    "tilde~/percent%20literal",
    "reserved!$&'()*,;=:@",
    "double//slash/./dot",
]


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_we_write_boto3_reads(moto_endpoint, boto, ml, key):
    data = ("payload for " + key).encode() + bytes(range(256))
    r = ml.put(moto_endpoint, "ours/" + key, data)
    assert r["ok"], r
    got = boto.get_object(Bucket=BUCKET, Key="ours/" + key)
    assert got["Body"].read() == data
    assert got["ETag"] == r["etag"]


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_boto3_writes_we_read(moto_endpoint, boto, ml, key):
    data = b"\x00\xffboto3 wrote " + key.encode()
    boto.put_object(Bucket=BUCKET, Key="theirs/" + key, Body=data)
    r = ml.get(moto_endpoint, "theirs/" + key)
    assert r["ok"], r
    assert r["data"] == data
    h = ml.run(moto_endpoint, "head", "theirs/" + key)
    assert h["ok"] and h["size"] == len(data)


def test_put_if_absent(moto_endpoint, boto, ml):
    first = ml.put(moto_endpoint, "cond/manifest.json", b"v1", "--if-absent")
    assert first["ok"], first
    second = ml.put(moto_endpoint, "cond/manifest.json", b"v2", "--if-absent")
    assert not second["ok"]
    assert second["code"] == "precondition failed"
    assert "lost the race" in second["message"]
    assert second["metrics"]["retries"] == 0  # 412 is final
    assert boto.get_object(Bucket=BUCKET, Key="cond/manifest.json")["Body"].read() == b"v1"


def test_if_match_stale_etag(moto_endpoint, boto, ml):
    v1 = ml.put(moto_endpoint, "cond/state", b"one")
    v2 = ml.put(moto_endpoint, "cond/state", b"two", **{"if_match": v1["etag"]})
    assert v2["ok"], v2
    boto.put_object(Bucket=BUCKET, Key="cond/state", Body=b"someone else")
    v3 = ml.put(moto_endpoint, "cond/state", b"three", **{"if_match": v2["etag"]})
    assert v3["code"] == "precondition failed", v3
    assert boto.get_object(Bucket=BUCKET, Key="cond/state")["Body"].read() == b"someone else"


def test_probe_honoured(moto_endpoint, boto, ml):
    r = ml.run(moto_endpoint, "probe", "probe-prefix")
    assert r["ok"], r
    assert r["if_absent_honoured"] and r["if_unchanged_honoured"]
    listing = boto.list_objects_v2(Bucket=BUCKET, Prefix="probe-prefix/")
    assert listing.get("KeyCount", 0) == 0  # probe keys deleted


def test_ranged_get_exact_bytes(moto_endpoint, boto, ml):
    data = bytes((i * 31 + 7) % 256 for i in range(100_000))
    boto.put_object(Bucket=BUCKET, Key="range/blob", Body=data)
    for off, length in [(0, 1), (0, 10), (12345, 4096), (99_990, 10), (99_990, 500)]:
        r = ml.get(moto_endpoint, "range/blob", "--range", str(off), str(length))
        assert r["ok"], r
        assert r["data"] == data[off:off + length]
        expected = boto.get_object(Bucket=BUCKET, Key="range/blob",
                                   Range=f"bytes={off}-{off + length - 1}")["Body"].read()
        assert r["data"] == expected
        assert r["size"] == len(data)
    past = ml.get(moto_endpoint, "range/blob", "--range", "100000", "10")
    assert past["code"] == "invalid argument", past
    assert past["data"] is None


def test_upload_options_visible_to_boto3(moto_endpoint, boto, ml):
    r = ml.put(moto_endpoint, "opts/a", b"x", sse="AES256", storage_class="STANDARD_IA",
               content_type="application/x-parquet")
    assert r["ok"], r
    head = boto.head_object(Bucket=BUCKET, Key="opts/a")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["StorageClass"] == "STANDARD_IA"
    assert head["ContentType"] == "application/x-parquet"
    r = ml.put(moto_endpoint, "opts/k", b"x", sse="aws:kms", kms_key_id="alias/ml-test")
    assert r["ok"], r
    head = boto.head_object(Bucket=BUCKET, Key="opts/k")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert "ml-test" in head.get("SSEKMSKeyId", "")


def test_not_found_and_delete(moto_endpoint, ml):
    r = ml.get(moto_endpoint, "missing/key")
    assert r["code"] == "not found" and r["exit_code"] == 3
    assert r["data"] is None
    assert ml.put(moto_endpoint, "del/x", b"1")["ok"]
    assert ml.run(moto_endpoint, "delete", "del/x")["ok"]
    assert ml.run(moto_endpoint, "head", "del/x")["code"] == "not found"
    assert ml.run(moto_endpoint, "delete", "del/x")["ok"]  # idempotent


def test_secret_never_in_output(moto_endpoint, ml):
    secret = "SuperSecretValue/+=DoNotLeak0123456789abcd"
    reports = [
        ml.get(moto_endpoint, "missing", secret=secret),
        ml.put(moto_endpoint, "cond/manifest.json", b"v", "--if-absent", secret=secret),
        ml.get("http://127.0.0.1:1", "k", secret=secret, attempts=2, backoff_ms=1),
        ml.run(moto_endpoint, "head", "missing", secret=secret),
    ]
    for r in reports:
        assert not r["ok"]
        assert secret not in r["raw"]
        assert "Signature=" not in r["raw"]
