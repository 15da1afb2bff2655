"""marketlake reads, exactly, what pyarrow, DuckDB and Polars write.

Each foreign file is checked three ways: `cat --format jsonl` values, `describe --json`
counts/nulls/min/max, and `convert x.parquet y.parquet` giving back the same table.
"""
from __future__ import annotations

import datetime as dt
import decimal
import math
import random

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from interop_util import (assert_jsonl_matches, assert_tables_equal, decode_dicts, parse_jsonl,
                      parse_ts_ns)

N = 3000


def sample_table(n=N, seed=1) -> pa.Table:
    rnd = random.Random(seed)
    base = 1_709_562_600_000_000_000  # 2024-03-04T14:30:00Z
    ts = [base + i * 1_234_567_891 + rnd.randrange(1000) for i in range(n)]
    syms = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "BRK.B"]

    def maybe(v, p=0.05):
        return None if rnd.random() < p else v

    return pa.table({
        "ts": pa.array([maybe(t) for t in ts], pa.timestamp("ns", tz="UTC")),
        "symbol": pa.array([maybe(rnd.choice(syms)) for _ in range(n)], pa.string()),
        "price": pa.array([maybe(round(rnd.uniform(10, 500), 2)) for _ in range(n)], pa.float64()),
        "size": pa.array([maybe(rnd.randrange(1, 5000)) for _ in range(n)], pa.int64()),
        "qty32": pa.array([maybe(rnd.randrange(-2**31, 2**31)) for _ in range(n)], pa.int32()),
        "ratio": pa.array([maybe(rnd.uniform(-1, 1)) for _ in range(n)], pa.float32()),
        "flag": pa.array([maybe(rnd.random() < 0.5) for _ in range(n)], pa.bool_()),
        "trade_id": pa.array(range(1, n + 1), pa.int64()),
    })


def check_marketlake_reads(ml, path, expected: pa.Table, tmp_path, what, convert_expected=None):
    # 1. cat --format jsonl gives every value.
    rows = parse_jsonl(ml.run("cat", path, "--format", "jsonl").stdout)
    assert_jsonl_matches(rows, expected, f"cat {what}")
    # 2. describe --json: count, nulls, min, max per column as pyarrow computes them.
    check_describe(ml, path, expected, what)
    # 3. convert to Parquet (defaults) and back: the same table.
    out = tmp_path / "roundtrip.parquet"
    ml.run("convert", path, out)
    want = convert_expected if convert_expected is not None else expected
    assert_tables_equal(pq.read_table(out), want, f"convert {what}")


def _describe_value(text, typ):
    if text is None:
        return None
    if pa.types.is_timestamp(typ):
        return parse_ts_ns(text)
    if pa.types.is_floating(typ):
        if typ == pa.float32():
            import struct
            return struct.unpack("f", struct.pack("f", float(text)))[0]
        return float(text)
    if pa.types.is_integer(typ):
        return int(text)
    if pa.types.is_decimal(typ):
        return decimal.Decimal(text)
    if pa.types.is_boolean(typ):
        return {"true": True, "false": False}[text.lower()]
    return text


def _scalar_value(s, typ):
    if not s.is_valid:
        return None
    if pa.types.is_timestamp(typ):
        mult = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[typ.unit]
        return s.cast(pa.int64()).as_py() * mult
    if pa.types.is_date(typ):
        return s.as_py().isoformat()
    return s.as_py()


def check_describe(ml, path, expected: pa.Table, what):
    info = ml.json("describe", path, "--json")
    assert info["num_rows"] == expected.num_rows
    expected = decode_dicts(expected)
    cols = {c["name"]: c for c in info["columns"]}
    assert list(cols) == expected.column_names
    for name in expected.column_names:
        col, typ = expected[name], expected[name].type
        if pa.types.is_nested(typ):
            continue
        d = cols[name]
        assert d["nulls"] == col.null_count, f"{what} {name} nulls"
        assert d["count"] == len(col) - col.null_count, f"{what} {name} count"
        if pa.types.is_binary(typ):
            continue
        mm = pc.min_max(col)
        assert _describe_value(d["min"], typ) == _scalar_value(mm["min"], typ), f"{what} {name} min"
        assert _describe_value(d["max"], typ) == _scalar_value(mm["max"], typ), f"{what} {name} max"


# ------------------------------------------------------------------- pyarrow writes

PA_CODECS = ["none", "snappy", "gzip", "zstd", "lz4", "brotli"]


@pytest.mark.parametrize("page_version", ["1.0", "2.0"])
@pytest.mark.parametrize("use_dictionary", [True, False], ids=["dict", "nodict"])
@pytest.mark.parametrize("codec", PA_CODECS)
def test_pyarrow_written(ml, tmp_path, codec, use_dictionary, page_version):
    t = sample_table()
    path = tmp_path / "pa.parquet"
    pq.write_table(t, path, compression=codec, use_dictionary=use_dictionary,
                   data_page_version=page_version, row_group_size=1000, data_page_size=4096)
    check_marketlake_reads(ml, path, t, tmp_path, f"pyarrow {codec} {use_dictionary} {page_version}")


def test_pyarrow_column_encodings(ml, tmp_path):
    t = sample_table()
    path = tmp_path / "pa.parquet"
    pq.write_table(t, path, use_dictionary=False, data_page_version="2.0",
                   column_encoding={"ts": "DELTA_BINARY_PACKED", "price": "BYTE_STREAM_SPLIT",
                                    "size": "DELTA_BINARY_PACKED", "symbol": "DELTA_BYTE_ARRAY",
                                    "ratio": "BYTE_STREAM_SPLIT",
                                    "qty32": "DELTA_BINARY_PACKED", "flag": "PLAIN"})
    check_marketlake_reads(ml, path, t, tmp_path, "pyarrow encodings")


def test_pyarrow_int96_timestamps(ml, tmp_path):
    t = sample_table().select(["ts", "symbol", "price"])
    path = tmp_path / "int96.parquet"
    pq.write_table(t, path, use_deprecated_int96_timestamps=True)
    assert pq.ParquetFile(path).metadata.schema.column(0).physical_type == "INT96"
    # INT96 carries no time zone: readers see timestamp[ns] of the same instants.
    want = pq.read_table(path)
    assert want["ts"].cast(pa.int64()).equals(t["ts"].cast(pa.int64()))
    check_marketlake_reads(ml, path, want, tmp_path, "int96")


def test_pyarrow_dates_decimals_binary_unsigned(ml, tmp_path):
    rnd = random.Random(3)
    n = 500
    t = pa.table({
        "d": pa.array([None if i % 17 == 0 else dt.date(2024, 1, 1) + dt.timedelta(days=i)
                       for i in range(n)], pa.date32()),
        "dec": pa.array([None if i % 13 == 0 else decimal.Decimal(rnd.randrange(-10**8, 10**8))
                         / 100 for i in range(n)], pa.decimal128(12, 2)),
        "dec38": pa.array([decimal.Decimal(rnd.randrange(-10**30, 10**30)) / 10**6
                           for i in range(n)], pa.decimal128(38, 6)),
        "u32": pa.array([rnd.randrange(0, 2**32) for _ in range(n)], pa.uint32()),
        "i8": pa.array([rnd.randrange(-128, 128) for _ in range(n)], pa.int8()),
        "ts_ms": pa.array([1_700_000_000_000 + i * 1000 for i in range(n)],
                          pa.timestamp("ms", tz="UTC")),
        "ts_us_naive": pa.array([1_700_000_000_000_000 + i for i in range(n)],
                                pa.timestamp("us")),
    })
    path = tmp_path / "types.parquet"
    pq.write_table(t, path)
    check_marketlake_reads(ml, path, t, tmp_path, "dates/decimals")


def test_pyarrow_list_and_struct_columns(ml, tmp_path):
    n = 200
    t = pa.table({
        "id": pa.array(range(n), pa.int64()),
        "levels": pa.array([None if i % 11 == 0 else list(range(i % 5)) for i in range(n)],
                           pa.list_(pa.int64())),
        "quote": pa.array([None if i % 7 == 0 else {"bid": i * 0.5, "venue": f"V{i % 3}"}
                           for i in range(n)],
                          pa.struct([("bid", pa.float64()), ("venue", pa.string())])),
    })
    path = tmp_path / "nested.parquet"
    pq.write_table(t, path)
    # Parquet to Parquet keeps nested columns exactly.
    out = tmp_path / "out.parquet"
    ml.run("convert", path, out)
    assert_tables_equal(pq.read_table(out), t, "nested convert")
    # describe counts nested columns' nulls too.
    info = ml.json("describe", path, "--json")
    cols = {c["name"]: c for c in info["columns"]}
    assert cols["levels"]["nulls"] == t["levels"].null_count
    assert cols["quote"]["nulls"] == t["quote"].null_count
    # cat of the flat column with a predicate over it works with nested columns present.
    rows = parse_jsonl(ml.run("cat", path, "--format", "jsonl", "--columns", "id",
                              "--where", "id < 5").stdout)
    assert [r["id"] for r in rows] == [0, 1, 2, 3, 4]


def test_pyarrow_nested_as_json(ml, tmp_path):
    """JSON lines output should carry lists and structs as JSON arrays and objects."""
    t = pa.table({"levels": pa.array([[1, 2], None, []], pa.list_(pa.int64())),
                  "quote": pa.array([{"bid": 1.5, "venue": "A"}, None, {"bid": None, "venue": "B"}])})
    path = tmp_path / "nested.parquet"
    pq.write_table(t, path)
    rows = parse_jsonl(ml.run("cat", path, "--format", "jsonl").stdout)
    assert [r["levels"] for r in rows] == [[1, 2], None, []]
    assert [r["quote"] for r in rows] == [{"bid": "1.5", "venue": "A"}, None,
                                          {"bid": None, "venue": "B"}]


def test_legacy_lz4_not_writable_by_pyarrow(tmp_path):
    """pyarrow's 'lz4' writes LZ4_RAW; Arrow C++ cannot write legacy (Hadoop) LZ4 at all."""
    path = tmp_path / "lz4.parquet"
    pq.write_table(pa.table({"a": [1, 2, 3]}), path, compression="lz4")
    raw = path.read_bytes()
    assert raw[:4] == b"PAR1"
    with pytest.raises(Exception):
        pq.write_table(pa.table({"a": [1]}), tmp_path / "x.parquet", compression="lz4_hadoop")


# ------------------------------------------------------------------- DuckDB writes

DUCK_CODECS = ["uncompressed", "snappy", "gzip", "zstd", "lz4", "lz4_raw", "brotli"]


@pytest.fixture(scope="module")
def duck_source(tmp_path_factory):
    d = tmp_path_factory.mktemp("duck")
    src = d / "src.parquet"
    t = sample_table(seed=5)
    pq.write_table(t, src)
    return src, t


@pytest.mark.parametrize("codec", DUCK_CODECS)
def test_duckdb_written(ml, tmp_path, duck_source, codec):
    import duckdb
    src, t = duck_source
    path = tmp_path / "duck.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{path}' "
                f"(FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE 1024)")
    con.close()
    # DuckDB writes the same values; its Arrow types are what pyarrow reads back.
    want = pq.read_table(path)
    assert_tables_equal(want, t, "duckdb wrote")
    check_marketlake_reads(ml, path, want, tmp_path, f"duckdb {codec}")


# ------------------------------------------------------------------- Polars writes

POLARS_CODECS = ["uncompressed", "snappy", "gzip", "lz4", "zstd", "brotli"]


@pytest.mark.parametrize("codec", POLARS_CODECS)
def test_polars_written(ml, tmp_path, duck_source, codec):
    import polars as pl
    src, t = duck_source
    path = tmp_path / "polars.parquet"
    pl.read_parquet(str(src)).write_parquet(str(path), compression=codec, row_group_size=1000)
    want = pq.read_table(path)
    assert_tables_equal(want, t, "polars wrote")
    check_marketlake_reads(ml, path, want, tmp_path, f"polars {codec}")
