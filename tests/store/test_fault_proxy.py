"""marketlake's S3 client through a fault-injecting proxy in front of moto: it retries
transient failures and succeeds, or gives up with "unavailable" after N attempts, and never
returns truncated data as success."""

import time

import pytest

BUCKET = "ml-pytest"  # created by conftest.moto_endpoint

DATA = bytes((i * 13) % 251 for i in range(200_000))


@pytest.fixture
def blob(boto):
    boto.put_object(Bucket=BUCKET, Key="fault/blob", Body=DATA)
    return "fault/blob"


def test_slowdown_then_success(fault_proxy, ml):
    fault_proxy.inject("503", "503")
    r = ml.put(fault_proxy.endpoint, "fault/put", b"hello", attempts=5, backoff_ms=5)
    assert r["ok"], r
    assert r["metrics"]["retries"] == 2 and r["metrics"]["requests"] == 3
    assert [f for _, _, f in fault_proxy.requests()] == ["503", "503", "pass"]


def test_throttling_and_server_errors_retried(fault_proxy, ml, blob):
    fault_proxy.inject("429", "500")
    r = ml.get(fault_proxy.endpoint, blob, attempts=5, backoff_ms=5)
    assert r["ok"], r
    assert r["data"] == DATA


def test_slowdown_gives_up_unavailable(fault_proxy, ml):
    fault_proxy.inject(*["503"] * 10)
    r = ml.put(fault_proxy.endpoint, "fault/never", b"x", attempts=3, backoff_ms=5)
    assert not r["ok"]
    assert r["code"] == "unavailable" and r["exit_code"] == 5
    assert "gave up after 3 attempts" in r["message"] and "SlowDown" in r["message"]
    assert len(fault_proxy.requests()) == 3


def test_client_errors_not_retried(fault_proxy, ml):
    fault_proxy.inject("400")
    r = ml.put(fault_proxy.endpoint, "fault/bad", b"x", attempts=5, backoff_ms=5)
    assert r["code"] == "invalid argument"
    assert len(fault_proxy.requests()) == 1


def test_put_if_absent_409_retried_412_not(fault_proxy, ml):
    fault_proxy.inject("409")
    r = ml.put(fault_proxy.endpoint, "fault/cond", b"1", "--if-absent", attempts=5, backoff_ms=5)
    assert r["ok"], r
    assert len(fault_proxy.requests()) == 2
    fault_proxy.clear()
    r = ml.put(fault_proxy.endpoint, "fault/cond", b"2", "--if-absent", attempts=5, backoff_ms=5)
    assert r["code"] == "precondition failed"
    assert len(fault_proxy.requests()) == 1


def test_connection_reset_mid_body_retried(fault_proxy, ml, blob):
    fault_proxy.inject("reset")
    r = ml.get(fault_proxy.endpoint, blob, attempts=3, backoff_ms=5)
    assert r["ok"], r
    assert r["data"] == DATA
    assert r["metrics"]["retries"] == 1


def test_reset_before_response_on_put_retried(fault_proxy, boto, ml):
    fault_proxy.inject("reset_early")
    r = ml.put(fault_proxy.endpoint, "fault/reset-put", b"payload", attempts=3, backoff_ms=5)
    assert r["ok"], r
    assert boto.get_object(Bucket=BUCKET, Key="fault/reset-put")["Body"].read() == b"payload"


def test_truncated_body_retried(fault_proxy, ml, blob):
    fault_proxy.inject("truncate", "truncate")
    r = ml.get(fault_proxy.endpoint, blob, attempts=4, backoff_ms=5)
    assert r["ok"], r
    assert r["data"] == DATA
    assert r["metrics"]["retries"] == 2


def test_truncated_range_retried(fault_proxy, ml, blob):
    fault_proxy.inject("truncate")
    r = ml.get(fault_proxy.endpoint, blob, "--range", "1000", "50000", attempts=3, backoff_ms=5)
    assert r["ok"], r
    assert r["data"] == DATA[1000:51000]


@pytest.mark.parametrize("fault", ["truncate", "reset"])
def test_always_truncated_never_success(fault_proxy, ml, blob, fault):
    fault_proxy.inject(*[fault] * 10)
    r = ml.get(fault_proxy.endpoint, blob, attempts=3, backoff_ms=5)
    assert not r["ok"]
    assert r["code"] in ("unavailable", "I/O error")
    assert "gave up after 3 attempts" in r["message"]
    assert r["data"] is None  # nothing handed out
    assert len(fault_proxy.requests()) == 3


def test_short_stall_succeeds(fault_proxy, ml, blob):
    fault_proxy.inject("stall:0.5")
    r = ml.get(fault_proxy.endpoint, blob, attempts=1, timeout_ms=3000)
    assert r["ok"], r
    assert r["data"] == DATA


def test_long_stall_times_out(fault_proxy, ml, blob):
    fault_proxy.inject("stall:5", "stall:5")
    t0 = time.monotonic()
    r = ml.get(fault_proxy.endpoint, blob, attempts=2, timeout_ms=700, backoff_ms=5)
    elapsed = time.monotonic() - t0
    assert not r["ok"]
    assert r["code"] == "unavailable"
    assert "gave up after 2 attempts" in r["message"]
    assert "timed out" in r["message"].lower() or "timeout" in r["message"].lower()
    assert elapsed < 4.0  # bounded by our timeout, not the stall
    assert r["data"] is None


def test_stall_then_recover(fault_proxy, ml, blob):
    fault_proxy.inject("stall:5")
    r = ml.get(fault_proxy.endpoint, blob, attempts=3, timeout_ms=700, backoff_ms=5)
    assert r["ok"], r
    assert r["data"] == DATA
    assert r["metrics"]["retries"] == 1
