"""DuckDB reads a marketlake lake: the live files of a snapshot and the Hive layout.

The lake is written by the gtest LakeInterop.WriteLakeForDuckDb (tests/unit/lake/
interop_writer_test.cc) with ML_LAKE_INTEROP_DIR set: $ML_LAKE_TESTS, else the newest
build/*/tests/ml_lake_tests under the repository root.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

duckdb = pytest.importorskip("duckdb")

REPO = Path(__file__).resolve().parents[2]


def _tests_binary() -> Path | None:
    env = os.environ.get("ML_LAKE_TESTS")
    if env:
        return Path(env)
    found = sorted(REPO.glob("build/*/tests/ml_lake_tests"), key=lambda p: p.stat().st_mtime,
                   reverse=True)
    return found[0] if found else None


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory) -> Path:
    binary = _tests_binary()
    if binary is None or not binary.exists():
        pytest.skip("ml_lake_tests not built")
    out = tmp_path_factory.mktemp("lake-interop")
    env = dict(os.environ, ML_LAKE_INTEROP_DIR=str(out))
    p = subprocess.run([str(binary), "--gtest_filter=LakeInterop.*"], env=env,
                       capture_output=True, timeout=300)
    assert p.returncode == 0, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    assert (out / "live_trades.txt").exists(), "the writer test was skipped"
    return out


def fnv1a64(data: bytes) -> int:
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def expected_rows(lake_dir: Path, name: str) -> list:
    t = pq.read_table(lake_dir / f"expected_{name}.parquet")
    ts_ns = t.column("ts").cast("int64").to_pylist()
    return list(zip(t.column("symbol").to_pylist(), ts_ns, t.column("price").to_pylist(),
                    t.column("size").to_pylist()))


def live_files(lake_dir: Path, name: str) -> list:
    return [str(lake_dir / "lake" / line) for line in
            (lake_dir / f"live_{name}.txt").read_text().splitlines() if line]


@pytest.mark.parametrize("name", ["trades", "quotes"])
def test_snapshot_files_read_by_duckdb(lake_dir, name):
    con = duckdb.connect()
    files = live_files(lake_dir, name)
    rows = con.execute(
        "SELECT symbol, epoch_ns(ts), price, size FROM read_parquet(?) ORDER BY symbol, ts",
        [files]).fetchall()
    # DuckDB reads the nanosecond timestamps exactly (TIMESTAMPTZ_NS).
    assert rows == expected_rows(lake_dir, name)


def test_hive_partitions_match_the_rows(lake_dir):
    con = duckdb.connect()
    glob = str(lake_dir / "lake/raw/trades/**/*.parquet")
    rows = con.execute(
        "SELECT symbol, epoch_ns(ts) AS t, year::INT, month::INT, day::INT, bucket::VARCHAR "
        "FROM read_parquet(?, hive_partitioning = true)", [glob]).fetchall()
    assert len(rows) == len(expected_rows(lake_dir, "trades"))
    for symbol, t, year, month, day, bucket in rows:
        d = dt.datetime.fromtimestamp(t // 1_000_000_000, tz=dt.timezone.utc)
        assert (year, month, day) == (d.year, d.month, d.day)
        assert int(bucket) == fnv1a64(symbol.encode()) % 4


def test_hostile_symbols_decode(lake_dir):
    con = duckdb.connect()
    base = lake_dir / "lake/raw/quotes"
    dirs = sorted(p.name for p in base.iterdir())
    assert all(d.startswith("symbol=") for d in dirs)
    assert "symbol=a%2Fb" in dirs and "symbol=%2E." in dirs
    glob = str(base / "**/*.parquet")
    got = {r[0] for r in con.execute(
        "SELECT DISTINCT symbol FROM read_parquet(?, hive_partitioning = true)", [glob]).fetchall()}
    assert got == {"AAPL", "a/b", "x=y", "..", "été"}
