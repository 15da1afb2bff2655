"""DuckDB as the oracle for `marketlake cat --where`: same rows, same order, same values."""
from __future__ import annotations

import json
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from interop_util import assert_jsonl_matches, parse_jsonl

N = 8000
BASE = 1_709_908_200_000_000_000  # 2024-03-08T14:30:00Z; rows run past the 2024-03-10 DST change
STEP = 40_000_000_000  # 40 s


def predicate_table() -> pa.Table:
    rnd = random.Random(11)
    syms = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "O'NEIL", "BRK.B"]

    def maybe(v, p=0.07):
        return None if rnd.random() < p else v

    return pa.table({
        "ts": pa.array([maybe(BASE + i * STEP + rnd.randrange(10**9)) for i in range(N)],
                       pa.timestamp("ns", tz="UTC")),
        "symbol": pa.array([maybe(rnd.choice(syms)) for _ in range(N)], pa.string()),
        "price": pa.array([maybe(round(rnd.uniform(50, 150), 2)) for _ in range(N)]),
        "size": pa.array([maybe(rnd.choice([1, 10, 50, 100, 200, 500, 1000]))
                          for _ in range(N)], pa.int64()),
        "exchange": pa.array([maybe(rnd.choice("QNPZK"), 0.02) for _ in range(N)]),
        "flag": pa.array([maybe(rnd.random() < 0.3) for _ in range(N)], pa.bool_()),
        "trade_id": pa.array(range(1, N + 1), pa.int64()),
    })


@pytest.fixture(scope="module")
def files(ml, tmp_path_factory):
    d = tmp_path_factory.mktemp("pred")
    t = predicate_table()
    pa_path = d / "pyarrow.parquet"
    pq.write_table(t, pa_path, row_group_size=2000, data_page_size=2048, write_page_index=True)
    ml_path = d / "marketlake.parquet"
    ml.run("convert", pa_path, ml_path, "--row-group-size", 3000, "--max-rows-per-page", 500,
           "--bloom-filter", "symbol")
    sorted_path = d / "sorted.parquet"
    ml.run("convert", pa_path, sorted_path, "--sort-by", "symbol,ts", "--row-group-size", 3000,
           "--max-rows-per-page", 250)
    return {"pyarrow": pa_path, "marketlake": ml_path, "sorted": sorted_path}


# (marketlake --where, DuckDB WHERE); None means the same text.
PREDICATES = [
    ("symbol = 'AAPL'", None),
    ("symbol != 'AAPL'", None),
    ("symbol <> 'MSFT'", None),
    ("symbol = 'O''NEIL'", None),
    ("symbol < 'MSFT'", None),
    ("symbol >= 'NVDA'", None),
    ("symbol IN ('AAPL', 'TSLA', 'NOPE')", None),
    ("symbol NOT IN ('AAPL', 'TSLA')", None),
    ("symbol IS NULL", None),
    ("symbol IS NOT NULL", None),
    ("price = 100.5", None),
    ("price > 120", None),
    ("price >= 120.5", None),
    ("price < 60", None),
    ("price <= 60.25", None),
    ("price != 99.99", None),
    ("price IN (51.5, 77.77, 120)", None),
    ("NOT price < 100", None),
    ("NOT (price < 100 OR size > 100)", None),
    ("price IS NULL OR size IS NULL", None),
    ("size = 100", None),
    ("size IN (1, 1000)", None),
    ("size NOT IN (1, 10, 50)", None),
    ("size > 200 AND price < 70", None),
    ("size >= 500 OR symbol = 'NVDA'", None),
    ("NOT size = 100", None),
    ("NOT (symbol IN ('AAPL','MSFT'))", None),
    ("flag = TRUE", "flag = true"),
    ("flag = FALSE AND symbol = 'TSLA'", "flag = false AND symbol = 'TSLA'"),
    ("flag IS NULL", None),
    ("trade_id > 7990 OR trade_id <= 3", None),
    ("trade_id >= 4000 AND trade_id < 4010", None),
    ("exchange = 'Q' AND (size = 100 OR size = 200) AND NOT symbol = 'AAPL'", None),
    ("ts >= '2024-03-11T09:30:00-04:00' AND ts < '2024-03-11T16:00:00-04:00'",
     "ts >= TIMESTAMPTZ_NS '2024-03-11T09:30:00-04:00' AND ts < TIMESTAMPTZ_NS '2024-03-11T16:00:00-04:00'"),
    ("ts < '2024-03-08T09:30:00-05:00'", "ts < TIMESTAMPTZ_NS '2024-03-08T09:30:00-05:00'"),
    ("ts >= '2024-03-10'", "ts >= TIMESTAMPTZ_NS '2024-03-10 00:00:00+00'"),
    ("ts > '2024-03-09 12:00:00Z' AND ts <= '2024-03-09 13:00:00.5Z'",
     "ts > TIMESTAMPTZ_NS '2024-03-09 12:00:00+00' AND ts <= TIMESTAMPTZ_NS '2024-03-09 13:00:00.5+00'"),
    ("ts IS NULL", None),
    ("NOT ts >= '2024-03-10T07:00:00Z'", "NOT ts >= TIMESTAMPTZ_NS '2024-03-10 07:00:00+00'"),
    ("ts IS NOT NULL AND symbol = 'AMZN' AND ts < '2024-03-09T00:00:00+00:00'",
     "ts IS NOT NULL AND symbol = 'AMZN' AND ts < TIMESTAMPTZ_NS '2024-03-09 00:00:00+00'"),
    ("(symbol = 'AAPL' AND ts >= '2024-03-11T13:30:00Z' AND ts < '2024-03-11T14:30:00Z') "
     "OR (symbol = 'MSFT' AND price > 140)",
     "(symbol = 'AAPL' AND ts >= TIMESTAMPTZ_NS '2024-03-11 13:30:00+00' AND "
     "ts < TIMESTAMPTZ_NS '2024-03-11 14:30:00+00') OR (symbol = 'MSFT' AND price > 140)"),
    ("price > 1e9", None),
    # NULL literals and three-valued logic.
    ("symbol IN ('AAPL', NULL)", None),
    ("symbol NOT IN ('AAPL', NULL)", None),
    ("price = NULL", None),
    ("NOT (symbol = 'AAPL' AND price > 100)", None),
    ("NOT (symbol IS NULL) AND NOT (flag = TRUE)", "NOT (symbol IS NULL) AND NOT (flag = true)"),
    ("size = '100'", "size = 100"),
    ("price >= -1.5E+2 AND price < 6.0e1", None),
    ("\"symbol\" = 'TSLA' OR \"size\" = 1", None),
]


def duckdb_rows(path, where):
    import duckdb
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    res = con.sql(f"SELECT * FROM read_parquet('{path}') WHERE {where}").arrow()
    table = res.read_all() if isinstance(res, pa.RecordBatchReader) else res
    con.close()
    return table


def run_cat(ml, path, where, *extra):
    p = ml.run("cat", path, "--where", where, "--format", "jsonl", "--stats-json", *extra)
    rows = parse_jsonl(p.stdout)
    stats = json.loads(p.stderr.decode().strip().splitlines()[-1])
    return rows, stats


@pytest.mark.parametrize("which", ["pyarrow", "marketlake", "sorted"])
@pytest.mark.parametrize("ml_where,duck_where", PREDICATES, ids=[p[0] for p in PREDICATES])
def test_where_matches_duckdb(ml, files, which, ml_where, duck_where):
    path = files[which]
    expected = duckdb_rows(path, duck_where or ml_where)
    rows, stats = run_cat(ml, path, ml_where)
    assert_jsonl_matches(rows, expected, f"{which}: {ml_where}")
    assert stats["rows_matched"] == len(rows)
    assert stats["rows_total"] == N
    assert 0 <= stats["pages_read"] <= stats["pages_total"]
    assert stats["pages_skipped"] == stats["pages_total"] - stats["pages_read"]
    assert stats["bytes_read"] <= stats["bytes_total"]
    assert stats["rows_matched"] <= stats["rows_decoded"] <= stats["rows_total"]
    assert stats["row_groups_read"] + stats["row_groups_skipped_by_statistics"] + \
        stats["row_groups_skipped_by_bloom_filter"] == stats["row_groups_total"]
    if which == "marketlake":
        # Without any pruning the answer is the same.
        plain, pstats = run_cat(ml, path, ml_where, "--no-page-index", "--no-statistics",
                                "--no-bloom-filter")
        assert plain == rows
        # (A predicate that binds to constant false reads nothing at all.)
        assert pstats["pages_read"] == pstats["pages_total"] or not plain


def test_bloom_filter_skips_absent_symbol(ml, files):
    """'BBB' lies between the row groups' min and max symbols, so only the bloom filter
    (written on symbol for the marketlake file) can rule it out."""
    path = files["marketlake"]
    rows, stats = run_cat(ml, path, "symbol = 'BBB'")
    assert rows == []
    assert stats["row_groups_skipped_by_statistics"] == 0, stats
    assert stats["row_groups_skipped_by_bloom_filter"] == stats["row_groups_total"], stats
    assert stats["pages_read"] == 0, stats
    _, nostats = run_cat(ml, path, "symbol = 'BBB'", "--no-bloom-filter")
    assert nostats["row_groups_skipped_by_bloom_filter"] == 0
    # IN with one present value cannot skip everything, and answers like DuckDB.
    rows, stats = run_cat(ml, path, "symbol IN ('BBB', 'TSLA')")
    assert_jsonl_matches(rows, duckdb_rows(path, "symbol IN ('BBB', 'TSLA')"), "bloom IN")


def test_where_with_columns_and_limit(ml, files):
    path = files["marketlake"]
    expected = duckdb_rows(path, "symbol = 'NVDA' AND price > 100").select(["trade_id", "price"])
    p = ml.run("cat", path, "--where", "symbol = 'NVDA' AND price > 100", "--columns",
               "trade_id,price", "--format", "jsonl")
    rows = parse_jsonl(p.stdout)
    assert all(list(r) == ["trade_id", "price"] for r in rows)
    assert_jsonl_matches(rows, expected, "projection")
    p = ml.run("cat", path, "--where", "symbol = 'NVDA' AND price > 100", "--columns",
               "trade_id,price", "--format", "jsonl", "--limit", 7)
    assert_jsonl_matches(parse_jsonl(p.stdout), expected.slice(0, 7), "limit")


def test_sorted_file_symbol_hour_reads_few_pages(ml, tmp_path):
    src = tmp_path / "trades.parquet"
    ml.run("generate", "trades", "--symbols", 20, "--days", 2, "--rows", 400_000, "--seed", 3,
           "--out", src)
    path = tmp_path / "sorted.parquet"
    # 5000-row pages: 80 pages per column, an hour of one symbol spans one or two.
    ml.run("convert", src, path, "--sort-by", "symbol,ts", "--max-rows-per-page", 5000)
    where = "symbol = 'AAPL' AND ts >= '2024-03-05T10:00:00-05:00' AND ts < '2024-03-05T11:00:00-05:00'"
    rows, stats = run_cat(ml, path, where)
    assert rows, "the hour should have AAPL trades"
    assert stats["rows_matched"] == len(rows)
    assert stats["pages_read"] < 0.1 * stats["pages_total"], stats
    expected = duckdb_rows(path, "symbol = 'AAPL' AND ts >= TIMESTAMPTZ_NS '2024-03-05 15:00:00+00' "
                                 "AND ts < TIMESTAMPTZ_NS '2024-03-05 16:00:00+00'")
    assert_jsonl_matches(rows, expected, "sorted symbol+hour")
