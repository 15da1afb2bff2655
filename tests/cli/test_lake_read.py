"""The lake verbs: read, symbols, range, partitions, rm-partition, stats, compact.

Lakes are built with tests/lake_tool (ml_lake_tool: Dataset::Append and Lake::RecordImport
through the library, not the import verb): $MARKETLAKE_LAKE_TOOL, else tests/lake_tool/
ml_lake_tool in the build directory the marketlake binary came from, else the first
build/*/tests/lake_tool/ml_lake_tool. Every read is compared with DuckDB's query of the same
selection over the lake's files (hive partitioning), exactly, in (symbol, ts) order.
"""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
NS = 1_000_000_000
MAR4 = 1709510400 * NS  # 2024-03-04T00:00:00Z, a Monday
SYMBOLS = ["AAPL", "MSFT", "IBM", "BRK'B", "NVDA"]


@pytest.fixture(scope="session")
def lake_tool(marketlake_bin) -> Path:
    env = os.environ.get("MARKETLAKE_LAKE_TOOL")
    if env:
        return Path(env)
    beside = Path(marketlake_bin).resolve().parents[2] / "tests/lake_tool/ml_lake_tool"
    if beside.exists():
        return beside
    found = sorted(REPO.glob("build/*/tests/lake_tool/ml_lake_tool"),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    if not found:
        pytest.skip("ml_lake_tool not built")
    return found[0]


def run(bin_path, *args, env=None):
    p = subprocess.run([str(bin_path), *map(str, args)], capture_output=True, timeout=300,
                       env=env)
    assert p.returncode >= 0, f"killed by signal {-p.returncode}: {args}"
    return p


def ok(bin_path, *args, env=None):
    quiet = () if Path(bin_path).name == "ml_lake_tool" else ("-q",)
    p = run(bin_path, *quiet, *args, env=env)
    assert p.returncode == 0, f"{args}: rc={p.returncode} {p.stderr.decode(errors='replace')}"
    return p


def trades(seed: int, n: int, symbols: list[str], start: int, span: int) -> pa.Table:
    """Unique (symbol, ts) per table: ts = start + k * step with k distinct per row."""
    import random

    rng = random.Random(seed)
    ks = rng.sample(range(span // NS), n)
    rows = {"symbol": [], "ts": [], "price": [], "size": []}
    for i, k in enumerate(ks):
        rows["symbol"].append(symbols[i % len(symbols)])
        rows["ts"].append(start + k * NS + seed)  # + seed: distinct across tables
        rows["price"].append(round(100 + rng.random() * 50, 2))
        rows["size"].append(rng.randint(1, 5000))
    return pa.table({
        "symbol": pa.array(rows["symbol"], pa.string()),
        "ts": pa.array(rows["ts"], pa.timestamp("ns", tz="UTC")),
        "price": pa.array(rows["price"], pa.float64()),
        "size": pa.array(rows["size"], pa.int64()),
    })


@pytest.fixture(scope="module")
def lake(tmp_path_factory, lake_tool):
    """Three appends over overlapping symbols and days (day partitions)."""
    root = tmp_path_factory.mktemp("lake")
    lake = root / "lake"
    parts = [
        trades(1, 3000, SYMBOLS[:3], MAR4, 3 * 86400 * NS),
        trades(2, 2000, SYMBOLS[1:], MAR4 + 86400 * NS, 2 * 86400 * NS),
        trades(3, 1000, SYMBOLS, MAR4, 4 * 86400 * NS),
    ]
    for i, t in enumerate(parts):
        f = root / f"in{i}.parquet"
        pq.write_table(t, f)
        ok(lake_tool, "append", lake, "trades", f, "--max-rows-per-file", "700")
    return lake


def duck(lake: Path, select: str, where: str = "TRUE", limit: str = "") -> list[tuple]:
    con = duckdb.connect()
    glob = str(lake / "cleaned/trades/**/*.parquet")
    return con.execute(
        f"SELECT {select} FROM read_parquet('{glob}', hive_partitioning=true) "
        f"WHERE {where} ORDER BY symbol, ts {limit}").fetchall()


def read_parquet_rows(path: Path, columns: list[str]) -> list[tuple]:
    t = pq.read_table(path)
    cols = []
    for c in columns:
        a = t.column(c)
        if pa.types.is_timestamp(a.type):
            a = pc.cast(a.cast(pa.timestamp("ns", tz="UTC")), pa.int64())
        cols.append(a.to_pylist())
    return list(zip(*cols))


def ts_text(ns: int) -> str:
    """ISO-8601 as DuckDB's make_timestamp_ns would read it (UTC)."""
    import datetime as dt

    sec, frac = divmod(ns, NS)
    return dt.datetime.fromtimestamp(sec, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + \
        f".{frac:09d}Z"


SELECTIONS = [
    ([], "TRUE"),
    (["--symbol", "MSFT"], "symbol = 'MSFT'"),
    (["--symbol", "IBM,BRK'B", "--symbol", "NVDA"], "symbol IN ('IBM', 'BRK''B', 'NVDA')"),
    (["--from", "2024-03-05", "--to", "2024-03-06T12:00:00Z"],
     "epoch_ns(ts) >= 1709596800000000000 AND epoch_ns(ts) < 1709726400000000000"),
    (["--symbol", "AAPL", "--from", "2024-03-05T09:30:00-05:00", "--to", "2024-03-05T16:00"
      , "--tz", "America/New_York"],
     "symbol = 'AAPL' AND epoch_ns(ts) >= 1709649000000000000 AND "
     "epoch_ns(ts) < 1709672400000000000"),
    (["--where", "price > 140 AND size < 2000"], "price > 140 AND size < 2000"),
]


@pytest.mark.parametrize("flags,where", SELECTIONS)
def test_read_equals_duckdb(marketlake_bin, lake, tmp_path, flags, where):
    out = tmp_path / "out.parquet"
    ok(marketlake_bin, "read", "trades", "--lake", lake, *flags, "--format", "parquet",
       "--out", out)
    got = read_parquet_rows(out, ["symbol", "ts", "price", "size"])
    want = duck(lake, "symbol, epoch_ns(ts), price, size", where)
    assert len(want) > 0
    assert got == want


def test_read_columns_limit_and_version(marketlake_bin, lake, tmp_path):
    out = tmp_path / "cols.parquet"
    ok(marketlake_bin, "read", "trades", "--lake", lake, "--columns", "size,symbol", "--limit",
       "123", "--format", "parquet", "--out", out)
    t = pq.read_table(out)
    assert t.column_names == ["size", "symbol"]
    assert read_parquet_rows(out, ["size", "symbol"]) == \
        duck(lake, "size, symbol", "TRUE", "LIMIT 123")
    # Version 1 is the first append only.
    out1 = tmp_path / "v1.parquet"
    ok(marketlake_bin, "read", "trades", "--lake", lake, "--version", "1", "--format", "parquet",
       "--out", out1)
    assert pq.read_table(out1).num_rows == 3000


def test_read_text_formats(marketlake_bin, lake):
    want = duck(lake, "symbol, epoch_ns(ts), price, size", "symbol = 'IBM'", "LIMIT 5")
    p = ok(marketlake_bin, "read", "trades", "--lake", lake, "--symbol", "IBM", "--limit", "5",
           "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(p.stdout.decode())))
    assert [(r["symbol"], float(r["price"]), int(r["size"])) for r in rows] == \
        [(s, pr, z) for s, _, pr, z in want]
    p = ok(marketlake_bin, "read", "trades", "--lake", lake, "--symbol", "IBM", "--limit", "5",
           "--format", "jsonl")
    lines = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert [(x["symbol"], x["price"], x["size"]) for x in lines] == \
        [(s, pr, z) for s, _, pr, z in want]
    # --tz shows local time with the offset (March 5: EST, -05:00).
    p = ok(marketlake_bin, "read", "trades", "--lake", lake, "--symbol", "IBM", "--limit", "5",
           "--format", "jsonl", "--tz", "America/New_York")
    import datetime as dt

    for x, w in zip((json.loads(y) for y in p.stdout.decode().splitlines()), want):
        t = dt.datetime.fromisoformat(x["ts"][:26] + x["ts"][29:])
        assert x["ts"].endswith("-05:00")
        assert int(t.timestamp()) == w[1] // NS
    # table: a header, a rule, then aligned rows.
    p = ok(marketlake_bin, "read", "trades", "--lake", lake, "--symbol", "IBM", "--limit", "5",
           "--format", "table", "--columns", "symbol,size")
    text = p.stdout.decode().splitlines()
    assert text[0].split() == ["symbol", "size"]
    assert set(text[1].replace(" ", "")) == {"-"}
    assert [ln.split() for ln in text[2:]] == [[s, str(z)] for s, _, _, z in want]
    assert len({len(ln) for ln in text}) == 1


def test_read_stats_show_pruned_files(marketlake_bin, lake):
    # The lake is partitioned by New York trading date: this range is exactly day=06.
    p = ok(marketlake_bin, "read", "trades", "--lake", lake, "--symbol", "MSFT", "--from",
           "2024-03-06T00:00:00-05:00", "--to", "2024-03-07T00:00:00-05:00", "--stats-json",
           "--format", "csv")
    stats = json.loads(p.stderr.decode().strip().splitlines()[-1])
    partitions = json.loads(ok(marketlake_bin, "partitions", "trades", "--lake", lake,
                               "--json").stdout)
    total_files = sum(x["files"] for x in partitions["partitions"])
    day6 = [x for x in partitions["partitions"] if x["partition"].endswith("day=06")][0]
    # Files are pruned by partition and by their recorded symbol lists: what is read is
    # exactly day 6's files that hold MSFT.
    glob = str(lake / "cleaned/trades/**/*.parquet")
    with_msft = duckdb.connect().execute(
        f"SELECT count(DISTINCT filename) FROM read_parquet('{glob}', hive_partitioning=true, "
        f"filename=true) WHERE day = 6 AND symbol = 'MSFT'").fetchone()[0]
    assert stats["files_total"] == total_files
    assert 0 < with_msft <= day6["files"]
    assert stats["files_read"] == with_msft
    assert stats["files_pruned"] == total_files - with_msft
    assert stats["rows_returned"] == len(
        duck(lake, "1", "symbol = 'MSFT' AND epoch_ns(ts) >= 1709701200000000000 AND "
             "epoch_ns(ts) < 1709787600000000000"))
    p = ok(marketlake_bin, "read", "trades", "--lake", lake, "--symbol", "MSFT", "--stats",
           "--format", "csv")
    assert "pruned" in p.stderr.decode()


def test_symbols_range_partitions(marketlake_bin, lake):
    s = json.loads(ok(marketlake_bin, "symbols", "trades", "--lake", lake, "--json").stdout)
    assert s["symbols"] == sorted(SYMBOLS)
    assert s["count"] == 5 and s["version"] == 3 and s["source"] == "log"
    assert ok(marketlake_bin, "symbols", "trades", "--lake", lake).stdout.decode().split() == \
        sorted(SYMBOLS)

    r = json.loads(ok(marketlake_bin, "range", "trades", "--lake", lake, "--json").stdout)
    glob = str(lake / "cleaned/trades/**/*.parquet")
    want = duckdb.connect().execute(
        f"SELECT symbol, min(epoch_ns(ts)), max(epoch_ns(ts)), count(*) FROM "
        f"read_parquet('{glob}', hive_partitioning=true) GROUP BY symbol").fetchall()
    assert [(x["symbol"], x["first"], x["last"], x["rows"]) for x in r["symbols"]] == \
        [(sym, ts_text(a), ts_text(b), n) for sym, a, b, n in sorted(want)]
    assert r["total"]["rows"] == 6000
    r = json.loads(ok(marketlake_bin, "range", "trades", "--lake", lake, "--symbol", "NVDA",
                      "--json").stdout)
    assert [x["symbol"] for x in r["symbols"]] == ["NVDA"]

    p = json.loads(ok(marketlake_bin, "partitions", "trades", "--lake", lake, "--json").stdout)
    assert p["partition_spec"] == "day(America/New_York)"
    con = duckdb.connect()
    glob = str(lake / "cleaned/trades/**/*.parquet")
    want = con.execute(
        f"SELECT 'year=' || year || '/month=' || lpad(month::VARCHAR, 2, '0') || '/day=' || "
        f"lpad(day::VARCHAR, 2, '0'), count(DISTINCT filename), count(*), min(epoch_ns(ts)), "
        f"max(epoch_ns(ts)) FROM read_parquet('{glob}', hive_partitioning=true, filename=true) "
        f"GROUP BY ALL ORDER BY 1").fetchall()
    assert [(x["partition"], x["files"], x["rows"], x["min_ts"], x["max_ts"])
            for x in p["partitions"]] == [(d, f, n, ts_text(a), ts_text(b))
                                          for d, f, n, a, b in want]
    sizes = {}
    for f in (lake / "cleaned/trades").rglob("*.parquet"):
        d = str(f.parent.relative_to(lake / "cleaned/trades"))
        sizes[d] = sizes.get(d, 0) + f.stat().st_size
    assert {x["partition"]: x["bytes"] for x in p["partitions"]} == sizes


def fresh_lake(tmp_path, lake_tool, days=3, appends=2) -> Path:
    """Data over `days` whole UTC days, in UTC day partitions."""
    lake = tmp_path / "lake"
    for i in range(appends):
        f = tmp_path / f"in{i}.parquet"
        pq.write_table(trades(10 + i, 600, SYMBOLS, MAR4, days * 86400 * NS), f)
        ok(lake_tool, "append", lake, "trades", f, "--partition", "day")
    return lake


def test_rm_partition(marketlake_bin, lake_tool, tmp_path):
    lake = fresh_lake(tmp_path, lake_tool)
    before = json.loads(ok(marketlake_bin, "partitions", "trades", "--lake", lake,
                           "--json").stdout)["partitions"]
    day5 = [x for x in before if x["partition"] == "year=2024/month=03/day=05"][0]
    r = json.loads(ok(marketlake_bin, "rm-partition", "trades", "--lake", lake,
                      "year=2024/month=03/day=05", "--json").stdout)
    assert r["version"] == 3
    assert r["files_removed"] == day5["files"] == 2
    assert r["rows_removed"] == day5["rows"]
    after = json.loads(ok(marketlake_bin, "partitions", "trades", "--lake", lake,
                          "--json").stdout)["partitions"]
    assert [x["partition"] for x in after] == [x["partition"] for x in before
                                               if x["partition"] != day5["partition"]]
    # Reads no longer see it; time travel does.
    p = ok(marketlake_bin, "read", "trades", "--lake", lake, "--from", "2024-03-05", "--to",
           "2024-03-06", "--format", "csv")
    assert p.stdout.decode().strip().count("\n") == 0  # header only
    p = ok(marketlake_bin, "read", "trades", "--lake", lake, "--from", "2024-03-05", "--to",
           "2024-03-06", "--format", "csv", "--version", "2")
    assert p.stdout.decode().strip().count("\n") == day5["rows"]
    # Nothing there any more: not found, exit 3, naming the partition keys.
    p = run(marketlake_bin, "rm-partition", "trades", "--lake", lake, "year=2024/month=03/day=05")
    assert p.returncode == 3
    err = p.stderr.decode()
    assert err.startswith("marketlake: error: not found: ") and "year/month/day" in err
    p = run(marketlake_bin, "rm-partition", "trades", "--lake", lake, "day")
    assert p.returncode == 2 and "invalid argument" in p.stderr.decode()


def test_stats(marketlake_bin, lake_tool, tmp_path):
    lake = fresh_lake(tmp_path, lake_tool)
    ok(lake_tool, "record-import", lake, "trades", "a.csv", 600, 3, 2, 1000)
    ok(lake_tool, "record-import", lake, "trades", "b.csv", 600, 0, 5, 2000)
    ok(lake_tool, "record-import", lake, "trades", "c.csv", 0, 0, 0, 0, "--error", "boom")
    s = json.loads(ok(marketlake_bin, "stats", "--lake", lake, "--json").stdout)
    files = list((lake / "cleaned/trades").rglob("*.parquet"))
    assert s["datasets"] == [{
        "dataset": "trades", "layer": "cleaned", "partition_spec": "day", "version": 2,
        "files": len(files), "rows": 1200, "bytes": sum(f.stat().st_size for f in files),
        "imports": {"imports": 3, "failures": 1, "rows": 1200, "rejects": 3,
                    "duplicates_skipped": 7, "bytes": 3000}}]
    s2 = json.loads(ok(marketlake_bin, "stats", "--lake", lake, "--dataset", "trades",
                       "--json").stdout)
    assert s2["datasets"] == s["datasets"]
    text = ok(marketlake_bin, "stats", "--lake", lake).stdout.decode()
    assert "trades" in text and "1200 rows" in text


def test_compact(marketlake_bin, lake_tool, tmp_path):
    lake = fresh_lake(tmp_path, lake_tool, days=2, appends=3)
    before = duck(lake, "symbol, epoch_ns(ts), price, size")
    r = json.loads(ok(marketlake_bin, "compact", "trades", "--lake", lake, "day=04", "--json")
                   .stdout)
    assert r["version"] == 0  # "day=04" is not a prefix of year/month/day
    r = json.loads(ok(marketlake_bin, "compact", "trades", "--lake", lake, "year=2024",
                      "month=03/day=04", "--target-file-size", "1MiB", "--json").stdout)
    assert r["version"] == 4 and r["files_removed"] == 3 and r["files_added"] == 1
    assert r["target_file_bytes"] == 1 << 20
    parts = json.loads(ok(marketlake_bin, "partitions", "trades", "--lake", lake,
                          "--json").stdout)["partitions"]
    assert [(x["partition"], x["files"]) for x in parts] == [
        ("year=2024/month=03/day=04", 1), ("year=2024/month=03/day=05", 3)]
    r = json.loads(ok(marketlake_bin, "compact", "trades", "--lake", lake, "--json").stdout)
    assert r["files_removed"] == 3 and r["files_added"] == 1
    # The files the log no longer lists are still on disk (for time travel): read through
    # the CLI, which follows the log.
    out = tmp_path / "after.parquet"
    ok(marketlake_bin, "read", "trades", "--lake", lake, "--format", "parquet", "--out", out)
    assert read_parquet_rows(out, ["symbol", "ts", "price", "size"]) == before
    p = run(marketlake_bin, "compact", "trades", "--lake", lake, "--target-file-size", "lots")
    assert p.returncode == 2


def test_errors(marketlake_bin, lake, tmp_path):
    def err(*args, env=None):
        p = run(marketlake_bin, *args, env=env)
        return p.returncode, p.stderr.decode().strip()

    rc, msg = err("read", "quotes", "--lake", lake)
    assert rc == 3 and msg.startswith("marketlake: error: not found: ") and "trades" in msg
    rc, msg = err("read", "trades", "--lake", lake, "--from", "2024-13-01")
    assert rc == 2 and msg.startswith("marketlake: error: invalid argument: --from: ")
    rc, msg = err("read", "trades", "--lake", lake, "--from", "2024-03-05", "--to", "2024-03-05")
    assert rc == 2 and msg.startswith("marketlake: error: invalid argument: ")
    rc, msg = err("read", "trades", "--lake", lake, "--columns", "symbol,bid")
    assert rc == 3 and "'bid'" in msg
    rc, msg = err("read", "trades", "--lake", lake, "--where", "bid > 1")
    assert rc != 0 and msg.startswith("marketlake: error: missing column: ")
    rc, msg = err("read", "trades", "--lake", lake, "--version", "99")
    assert rc == 3 and msg.startswith("marketlake: error: not found: ")
    rc, msg = err("read", "trades", "--lake", lake, "--tz", "Mars/Olympus")
    assert rc == 2 and "--tz" in msg
    # No --lake and no default_lake in the (absent) config file.
    env = {k: v for k, v in os.environ.items() if k != "MARKETLAKE_CONFIG"}
    env["HOME"] = str(tmp_path)
    for verb in (["read", "trades"], ["symbols", "trades"], ["stats"]):
        rc, msg = err(*verb, env=env)
        assert rc == 2 and msg.startswith("marketlake: error: invalid argument: --lake"), msg
    for verb in ("read", "symbols", "range", "partitions", "rm-partition", "stats", "compact"):
        p = ok(marketlake_bin, verb, "--help")
        assert "Examples:" in p.stdout.decode()
