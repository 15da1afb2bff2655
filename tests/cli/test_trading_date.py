"""Trades and quotes are partitioned by New York trading date, not UTC day.

An after-hours trade at 19:30 New York time is already the next UTC day; it must land in
its trading day's partition, across both DST switches. The oracle is Python's zoneinfo
(the IANA database) applied row by row to what pyarrow reads back with hive partitioning.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cli_util import ok

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
ds = pytest.importorskip("pyarrow.dataset")

NY = ZoneInfo("America/New_York")
# (New York wall time, what it is) -- each a trade of AAPL and one of MSFT.
WALL = [
    ("2024-03-08T04:00:00", "Friday pre-market open (09:00Z)"),
    ("2024-03-08T19:30:00", "Friday after hours, Saturday 00:30Z"),
    ("2024-03-08T19:59:59", "Friday's last after-hours second"),
    ("2024-03-10T23:59:00", "Sunday night, DST began that morning (03:59Z Monday)"),
    ("2024-03-11T00:00:00", "Monday midnight EDT (04:00Z)"),
    ("2024-03-11T20:15:00", "Monday 20:15 EDT, Tuesday 00:15Z"),
    ("2024-03-29T19:45:00", "the last trading day of March, after hours (23:45Z)"),
    ("2024-03-31T21:00:00", "Sunday night 21:00 EDT, 1 April 01:00Z"),
    ("2024-11-01T19:00:00", "Friday after hours before DST ends (23:00Z)"),
    ("2024-11-03T01:30:00", "the first 01:30 of the fall-back night (EDT)"),
    ("2024-11-04T19:05:00", "Monday after hours in EST (00:05Z Tuesday)"),
]


def utc_of(wall: str) -> dt.datetime:
    local = dt.datetime.fromisoformat(wall).replace(tzinfo=NY, fold=0)
    return local.astimezone(dt.timezone.utc)


@pytest.fixture(scope="module")
def lake(marketlake_bin, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tradingdate")
    csv = root / "trades.csv"
    lines = ["symbol,ts,price,size"]
    for i, (wall, _) in enumerate(WALL):
        iso = utc_of(wall).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"AAPL,{iso},{100 + i}.25,{10 + i}")
        lines.append(f"MSFT,{iso},{400 + i}.5,{20 + i}")
    csv.write_text("\n".join(lines) + "\n")
    ok(marketlake_bin, "import", csv, "--lake", root / "lake", "--type", "trades")
    return root / "lake"


def hive_rows(lake: Path, dataset: str) -> list[tuple]:
    table = ds.dataset(lake / "cleaned" / dataset, format="parquet",
                       partitioning="hive").to_table()
    return list(zip(table["symbol"].to_pylist(), table["ts"].to_pylist(),
                    table["year"].to_pylist(), table["month"].to_pylist(),
                    table["day"].to_pylist()))


def test_every_row_is_in_its_new_york_trading_date(marketlake_bin, lake):
    rows = hive_rows(lake, "trades")
    assert len(rows) == 2 * len(WALL)
    for symbol, ts, year, month, day in rows:
        local = ts.astimezone(NY).date()
        assert (year, month, day) == (local.year, local.month, local.day), (symbol, ts)
    p = json.loads(ok(marketlake_bin, "partitions", "trades", "--lake", lake, "--json").stdout)
    assert p["partition_spec"] == "day(America/New_York)"
    want = sorted({utc_of(w).astimezone(NY).strftime("year=%Y/month=%m/day=%d")
                   for w, _ in WALL})
    assert [x["partition"] for x in p["partitions"]] == want
    # The after-hours trade of Friday 8 March is in day=08, not in a UTC Saturday.
    assert "year=2024/month=03/day=09" not in want


@pytest.mark.parametrize("day", ["2024-03-08", "2024-03-10", "2024-03-11", "2024-11-03",
                                 "2024-11-04"])
def test_read_of_a_new_york_day_is_exact(marketlake_bin, lake, day):
    start = dt.datetime.fromisoformat(day).replace(tzinfo=NY)
    end = (start.replace(tzinfo=None) + dt.timedelta(days=1)).replace(tzinfo=NY)
    p = ok(marketlake_bin, "read", "trades", "--lake", lake, "--from", start.isoformat(),
           "--to", end.isoformat(), "--format", "jsonl", "--columns", "symbol,ts,price")
    got = [(r["symbol"], r["ts"]) for r in map(json.loads, p.stdout.decode().splitlines())]
    want = []
    for sym in ("AAPL", "MSFT"):
        for wall, _ in WALL:
            t = utc_of(wall)
            if start <= t < end:
                want.append((sym, t.strftime("%Y-%m-%dT%H:%M:%S.000000000Z")))
    assert got == want


def test_explicit_utc_partitioning_is_still_available(marketlake_bin, lake, tmp_path):
    out = tmp_path / "lake"
    csv = tmp_path / "t.csv"
    t = utc_of("2024-03-08T19:30:00").strftime("%Y-%m-%dT%H:%M:%SZ")
    csv.write_text(f"symbol,ts,price,size\nAAPL,{t},1.5,1\n")
    ok(marketlake_bin, "import", csv, "--lake", out, "--partition", "day")
    assert [p.relative_to(out / "cleaned" / "trades").parent.as_posix()
            for p in (out / "cleaned" / "trades").rglob("*.parquet")] == [
        "year=2024/month=03/day=09"]
    ok(marketlake_bin, "import", csv, "--lake", tmp_path / "la", "--partition",
       "day(America/Los_Angeles)")
    assert [p.relative_to(tmp_path / "la" / "cleaned" / "trades").parent.as_posix()
            for p in (tmp_path / "la" / "cleaned" / "trades").rglob("*.parquet")] == [
        "year=2024/month=03/day=08"]  # 16:30 in Los Angeles on the 8th


def test_minute_bars_of_a_trading_day_share_its_new_york_month(marketlake_bin, lake):
    ok(marketlake_bin, "bars", "--lake", lake, "--interval", "1m", "--write")
    p = json.loads(ok(marketlake_bin, "partitions", "bars_1m", "--lake", lake, "--json").stdout)
    assert p["partition_spec"] == "month(America/New_York)"
    assert [x["partition"] for x in p["partitions"]] == ["year=2024/month=03",
                                                         "year=2024/month=11"]
    rows = ds.dataset(lake / "cleaned" / "bars_1m", format="parquet",
                      partitioning="hive").to_table()
    # The 31 March 21:00 EDT bar (1 April 01:00Z) is in March's partition.
    for ts, year, month in zip(rows["ts"].to_pylist(), rows["year"].to_pylist(),
                               rows["month"].to_pylist()):
        local = ts.astimezone(NY)
        assert (year, month) == (local.year, local.month)
    assert rows.num_rows == 2 * len(WALL)
