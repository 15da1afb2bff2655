"""`marketlake -v` prints, at exit, the request counters of marketlake's own S3 client per
store on stderr (numbers and a store label, never a credential). moto's server on a loopback
port; a source with sse, so `cp` goes through marketlake's multipart writer.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MOTO_BUCKET = BUCKET = "ml-metrics"
SECRET = "SeCrEtVaLuE-metrics-42"
LINE = re.compile(r"^marketlake: s3 requests \[source enc at http://127\.0\.0\.1:\d+\]: "
                  r"requests=(\d+) errors=(\d+) retries=(\d+) bytes_out=(\d+) bytes_in=(\d+) "
                  r"latency_mean_ms=[\d.]+ latency_max_ms=[\d.]+$", re.M)


def test_verbose_prints_request_metrics_without_secrets(marketlake_bin, tmp_path, moto):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MARKETLAKE_"))}
    env.update({"AWS_EC2_METADATA_DISABLED": "true", "HOME": str(tmp_path / "home"),
                "ML_TEST_SECRET": SECRET, "MARKETLAKE_S3_PART_SIZE": str(5 << 20)})
    config = tmp_path / "ml.yaml"
    config.write_text(f"""sources:
  enc:
    bucket: {BUCKET}
    endpoint_url: {moto}
    access_key_id: testing
    secret_access_key: ${{ML_TEST_SECRET}}
    region: us-east-1
    provider: minio
    sse: AES256
""")
    data = os.urandom(11 << 20)  # three 5 MiB parts
    (tmp_path / "x.bin").write_bytes(data)
    p = subprocess.run(["" + str(marketlake_bin), "-v", "--config", str(config), "cp",
                        str(tmp_path / "x.bin"), f"s3://{BUCKET}/m/x.bin"],
                       capture_output=True, env=env, timeout=120)
    err = p.stderr.decode()
    assert p.returncode == 0, err
    m = LINE.search(err)
    assert m, err
    requests, errors, retries, bytes_out, _ = map(int, m.groups())
    assert requests == 6  # HEAD of the destination (Arrow data path), create, 3 parts, complete
    assert errors == 0 and retries == 0
    assert bytes_out >= len(data)
    assert SECRET not in err and SECRET not in p.stdout.decode()

    # Without -v: no metrics line.
    p = subprocess.run([str(marketlake_bin), "--config", str(config), "cp",
                        str(tmp_path / "x.bin"), f"s3://{BUCKET}/m/y.bin"],
                       capture_output=True, env=env, timeout=120)
    assert p.returncode == 0
    assert "s3 requests" not in p.stderr.decode()
