"""pyarrow, DuckDB and Polars read, exactly, every kind of Parquet file marketlake writes."""
from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from interop_util import ENGINES, assert_tables_equal, decode_dicts

ROWS = 6000
CODECS = ["uncompressed", "snappy", "gzip", "zstd", "lz4_raw", "brotli"]
PARQUET_CODEC = {"uncompressed": "UNCOMPRESSED", "snappy": "SNAPPY", "gzip": "GZIP",
                 "zstd": "ZSTD", "lz4_raw": "LZ4_RAW", "brotli": "BROTLI"}
# pyarrow names LZ4_RAW "LZ4" (Arrow's Compression::LZ4 is the raw block format).
PYARROW_CODEC = dict(PARQUET_CODEC, lz4_raw="LZ4")


@pytest.fixture(scope="module")
def source(ml, tmp_path_factory):
    """Generated trades (marketlake) and, as the reference, their values read by pyarrow."""
    d = tmp_path_factory.mktemp("writes")
    path = d / "trades.parquet"
    ml.run("generate", "trades", "--symbols", 7, "--days", 2, "--rows", ROWS, "--seed", 7,
           "--out", path)
    # Reference values written by pyarrow itself, so the marketlake outputs below are all
    # compared against a file another implementation wrote.
    ref = pq.read_table(path)
    ref_path = d / "ref.parquet"
    pq.write_table(ref, ref_path)
    return ref_path, pq.read_table(ref_path)


@pytest.fixture(scope="module")
def plain_source(source, tmp_path_factory):
    """The same rows with plain string columns (as from CSV), not Arrow dictionaries."""
    ref_path, ref = source
    plain = decode_dicts(ref)
    path = tmp_path_factory.mktemp("plain") / "plain.parquet"
    pq.write_table(plain, path)
    return path, pq.read_table(path)


def check_all_engines(path, expected, what):
    for engine, read in ENGINES.items():
        assert_tables_equal(read(path), expected, f"{engine} reading {what}")


def column_encodings(path, name):
    md = pq.ParquetFile(path).metadata
    out = set()
    for rg in range(md.num_row_groups):
        rgm = md.row_group(rg)
        for c in range(rgm.num_columns):
            if rgm.column(c).path_in_schema == name:
                out |= set(rgm.column(c).encodings)
    return out


@pytest.mark.parametrize("page_version", [1, 2])
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("dictionary", [True, False], ids=["dict", "nodict"])
def test_codec_page_version_dictionary(ml, source, tmp_path, codec, page_version, dictionary):
    src, expected = source
    out = tmp_path / "out.parquet"
    args = ["convert", src, out, "--compression", codec, "--page-version", page_version]
    if not dictionary:
        args.append("--no-dictionary")
    ml.run(*args)
    md = pq.ParquetFile(out).metadata
    for rg in range(md.num_row_groups):
        for c in range(md.num_columns):
            assert md.row_group(rg).column(c).compression == PYARROW_CODEC[codec]
    sym = column_encodings(out, "symbol")
    if dictionary:
        assert "RLE_DICTIONARY" in sym
    else:
        assert "RLE_DICTIONARY" not in sym and "PLAIN_DICTIONARY" not in sym
    check_all_engines(out, expected, f"{codec} v{page_version} dict={dictionary}")


ENCODING_CASES = [
    ("ts", "PLAIN"), ("ts", "RLE_DICTIONARY"), ("ts", "DELTA_BINARY_PACKED"),
    ("price", "PLAIN"), ("price", "RLE_DICTIONARY"), ("price", "BYTE_STREAM_SPLIT"),
    ("size", "PLAIN"), ("size", "RLE_DICTIONARY"), ("size", "DELTA_BINARY_PACKED"),
    ("trade_id", "PLAIN"), ("trade_id", "RLE_DICTIONARY"), ("trade_id", "DELTA_BINARY_PACKED"),
    ("symbol", "PLAIN"), ("symbol", "RLE_DICTIONARY"), ("symbol", "DELTA_LENGTH_BYTE_ARRAY"),
    ("symbol", "DELTA_BYTE_ARRAY"),
    ("exchange", "PLAIN"), ("exchange", "DELTA_LENGTH_BYTE_ARRAY"),
    ("exchange", "DELTA_BYTE_ARRAY"),
]


@pytest.mark.parametrize("page_version", [1, 2])
@pytest.mark.parametrize("column,encoding", ENCODING_CASES,
                         ids=[f"{c}={e}" for c, e in ENCODING_CASES])
def test_column_encoding(ml, source, plain_source, tmp_path, column, encoding, page_version):
    # Arrow cannot read DELTA_(LENGTH_)BYTE_ARRAY back into a dictionary column, so the string
    # delta encodings start from plain strings; see test_string_delta_on_dictionary_column.
    src, expected = plain_source if encoding.startswith("DELTA_") and column in (
        "symbol", "exchange") else source
    out = tmp_path / "out.parquet"
    ml.run("convert", src, out, "--compression", "zstd", "--page-version", page_version,
           "--encoding", f"{column}={encoding}")
    encs = column_encodings(out, column)
    assert encoding in encs, f"{column}: {encs}"
    if encoding != "RLE_DICTIONARY":
        assert "RLE_DICTIONARY" not in encs, f"{column}: {encs}"
    check_all_engines(out, expected, f"{column}={encoding} v{page_version}")


@pytest.mark.parametrize("encoding", ["DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY"])
def test_string_delta_on_dictionary_column(ml, source, tmp_path, encoding):
    """A dictionary-typed string column with a delta encoding: either refused up front with
    one clear line, or written so that every engine (pyarrow included) reads it back."""
    src, expected = source
    out = tmp_path / "out.parquet"
    p = ml.run("convert", src, out, "--encoding", f"symbol={encoding}", check=False)
    if p.returncode == 0:
        check_all_engines(out, expected, f"dictionary symbol={encoding}")
        info = ml.json("describe", out, "--json")
        assert info["num_rows"] == expected.num_rows
    else:
        err = p.stderr.decode().splitlines()
        assert p.returncode == 2 and len(err) == 1, err
        assert err[0].startswith("marketlake: error: invalid argument: ")
        assert "symbol" in err[0] and encoding in err[0]
        assert not out.exists()


def test_every_column_non_default_at_once(ml, plain_source, tmp_path):
    src, expected = plain_source
    out = tmp_path / "out.parquet"
    ml.run("convert", src, out, "--page-version", 2, "--encoding", "ts=PLAIN",
           "--encoding", "price=PLAIN", "--encoding", "size=DELTA_BINARY_PACKED",
           "--encoding", "trade_id=PLAIN", "--encoding", "symbol=DELTA_BYTE_ARRAY",
           "--encoding", "exchange=DELTA_LENGTH_BYTE_ARRAY")
    check_all_engines(out, expected, "mixed encodings")


def test_market_defaults(ml, source, tmp_path):
    src, expected = source
    out = tmp_path / "out.parquet"
    ml.run("convert", src, out)
    assert "DELTA_BINARY_PACKED" in column_encodings(out, "ts")
    assert "DELTA_BINARY_PACKED" in column_encodings(out, "trade_id")
    # Prices: dictionary (docs/parquet-defaults.md measured BYTE_STREAM_SPLIT 2-3x larger).
    assert "RLE_DICTIONARY" in column_encodings(out, "price")
    assert "BYTE_STREAM_SPLIT" not in column_encodings(out, "price")
    assert "RLE_DICTIONARY" in column_encodings(out, "symbol")
    check_all_engines(out, expected, "market defaults")


def test_arrow_defaults(ml, source, tmp_path):
    src, expected = source
    out = tmp_path / "out.parquet"
    ml.run("convert", src, out, "--no-market-defaults")
    assert "RLE_DICTIONARY" in column_encodings(out, "price")
    assert "DELTA_BINARY_PACKED" not in column_encodings(out, "ts")
    check_all_engines(out, expected, "arrow defaults")


@pytest.mark.parametrize("unit", ["us", "ms"])
def test_timestamp_unit(ml, source, tmp_path, unit):
    src, expected = source
    out = tmp_path / "out.parquet"
    ml.run("convert", src, out, "--timestamp-unit", unit)
    schema = pq.read_schema(out)
    assert schema.field("ts").type == pa.timestamp(unit, tz="UTC")
    # Coercion truncates toward the epoch's floor; generated times are after 1970.
    div = {"us": 1000, "ms": 1_000_000}[unit]
    ts = expected["ts"].cast(pa.int64()).to_pylist()
    want = expected.set_column(
        expected.schema.get_field_index("ts"), "ts",
        pa.array([v // div for v in ts], pa.int64()).cast(pa.timestamp(unit, tz="UTC")))
    check_all_engines(out, want, f"timestamp unit {unit}")


def test_bloom_filters_sort_and_metadata(ml, source, tmp_path):
    src, expected = source
    out = tmp_path / "out.parquet"
    ml.run("convert", src, out, "--sort-by", "symbol,ts", "--bloom-filter", "symbol",
           "--bloom-filter", "trade_id", "--metadata", "source=unit-test",
           "--metadata", "desk=equities=cash")
    pf = pq.ParquetFile(out)
    meta = pf.schema_arrow.metadata or {}
    assert meta.get(b"source") == b"unit-test"
    assert meta.get(b"desk") == b"equities=cash"
    kv = pf.metadata.metadata
    assert kv[b"source"] == b"unit-test"
    rg = pf.metadata.row_group(0)
    sorting = rg.sorting_columns
    assert [s.column_index for s in sorting] == [1, 0]
    assert all(not s.descending for s in sorting)
    info = ml.json("inspect", out, "--json")
    blooms = {c["path"]: c.get("bloom_filter") for c in info["row_groups"][0]["columns"]}
    assert blooms["symbol"] and blooms["trade_id"] and not blooms["price"], blooms
    want = decode_dicts(expected).sort_by([("symbol", "ascending"), ("ts", "ascending")])
    check_all_engines(out, want, "sorted + bloom")
    # DuckDB can use the bloom filter; either way the answer must be right.
    import duckdb
    n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}') WHERE symbol = 'AAPL'").fetchall()[0][0]
    assert n == sum(1 for s in expected["symbol"].to_pylist() if s == "AAPL")


@pytest.mark.parametrize("row_group_size,max_rows_per_page,page_size",
                         [(1000, 100, 1 << 20), (2500, 20000, 4096), (ROWS, 20000, 1 << 20)])
def test_row_group_and_page_sizes(ml, source, tmp_path, row_group_size, max_rows_per_page,
                                  page_size):
    src, expected = source
    out = tmp_path / "out.parquet"
    ml.run("convert", src, out, "--row-group-size", row_group_size, "--max-rows-per-page",
           max_rows_per_page, "--page-size", page_size)
    md = pq.ParquetFile(out).metadata
    assert md.num_row_groups == math.ceil(ROWS / row_group_size)
    assert [md.row_group(i).num_rows for i in range(md.num_row_groups)] == [
        min(row_group_size, ROWS - i * row_group_size) for i in range(md.num_row_groups)]
    info = ml.json("inspect", out, "--json")
    pages = [c.get("pages") for c in info["row_groups"][0]["columns"]]
    rg_rows = md.row_group(0).num_rows
    if max_rows_per_page < rg_rows:
        assert min(pages) >= math.ceil(rg_rows / max_rows_per_page), pages
    if page_size == 4096:  # 2500 8-byte timestamps are ~20 KB: several 4 KiB pages
        ts_pages = info["row_groups"][0]["columns"][0]["pages"]
        assert ts_pages >= 2, ts_pages
    check_all_engines(out, expected, f"rg={row_group_size} page={max_rows_per_page}")
