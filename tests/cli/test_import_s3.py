"""Import from and into S3 (moto on loopback): sources under s3:// and SOURCE:prefix, a lake
on a configured source (conditional-write commits), dedup on re-import, DuckDB reading the
lake through the objects boto3 lists."""
from __future__ import annotations

import io
import json
import os

import pyarrow.parquet as pq
import pytest

from cli_util import ok

MOTO_BUCKET = "ml-import"

CSV = ("symbol,ts,price,size\n"
       "AAPL,2024-01-15T14:30:00Z,185.5,100\n"
       "MSFT,2024-01-15T14:30:01Z,390.25,50\n"
       "AAPL,2024-01-16T14:30:00Z,186,200\n")


@pytest.fixture()
def s3env(moto, tmp_path):
    import boto3
    client = boto3.client("s3", endpoint_url=moto, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    cfg = tmp_path / "ml.yaml"
    cfg.write_text(f"""sources:
  store:
    bucket: {MOTO_BUCKET}
    prefix: {tmp_path.name}
    endpoint_url: {moto}
    access_key_id: testing
    secret_access_key: testing
    region: us-east-1
    provider: minio
""")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MARKETLAKE_"))}
    env.update({"AWS_EC2_METADATA_DISABLED": "true", "HOME": str(tmp_path / "home"),
                "MARKETLAKE_CONFIG": str(cfg)})
    return client, env, tmp_path.name


def test_import_from_s3_prefix_into_an_s3_lake(marketlake_bin, s3env, tmp_path):
    client, env, prefix = s3env
    client.put_object(Bucket=MOTO_BUCKET, Key=f"{prefix}/raw/trades/a.csv", Body=CSV.encode())
    client.put_object(Bucket=MOTO_BUCKET, Key=f"{prefix}/raw/trades/b.csv",
                      Body=b"symbol,ts,price,size\nNVDA,2024-01-15T15:00:00Z,900,10\n")
    r = json.loads(ok(marketlake_bin, "import", "store:raw/trades/", "--lake", "store:lake",
                      "--json", env=env).stdout)
    assert r["rows_written"] == 4 and len(r["sources"]) == 2
    assert r["datasets"][0]["version"] == 1
    again = json.loads(ok(marketlake_bin, "import", f"s3://{MOTO_BUCKET}/{prefix}/raw/trades/*.csv",
                          "--lake", "store:lake", "--json", env=env).stdout)
    assert again["rows_written"] == 0 and again["duplicates_skipped"] == 4
    # Every data object the lake's log references, read by pyarrow from the bytes boto3 gets.
    keys = [o["Key"] for o in client.list_objects_v2(
        Bucket=MOTO_BUCKET, Prefix=f"{prefix}/lake/cleaned/trades/")["Contents"]]
    rows = []
    for k in keys:
        t = pq.read_table(io.BytesIO(client.get_object(Bucket=MOTO_BUCKET, Key=k)["Body"].read()))
        rows += list(zip(t.column("symbol").to_pylist(), t.column("price").to_pylist()))
    assert sorted(rows) == [("AAPL", 185.5), ("AAPL", 186.0), ("MSFT", 390.25), ("NVDA", 900.0)]
    out = ok(marketlake_bin, "read", "trades", "--lake", "store:lake", "--symbol", "AAPL",
             "--columns", "symbol,price", "--format", "csv", env=env).stdout.decode()
    assert out.splitlines() == ['"symbol","price"', '"AAPL",185.5', '"AAPL",186']
    stats = json.loads(ok(marketlake_bin, "stats", "--lake", "store:lake", "--json",
                          env=env).stdout)
    assert stats["datasets"][0]["imports"]["imports"] == 2
    assert stats["datasets"][0]["imports"]["duplicates_skipped"] == 4
