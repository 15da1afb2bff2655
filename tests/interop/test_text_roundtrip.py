"""CSV and JSON lines in and out: marketlake's text agrees with pyarrow's and DuckDB's readers."""
from __future__ import annotations

import gzip

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from interop_util import assert_jsonl_matches, assert_tables_equal, decode_dicts, parse_jsonl

SCHEMA = "ts:timestamp[ns,UTC],symbol:string,price:double,size:int64,exchange:string,trade_id:int64"


@pytest.fixture(scope="module")
def trades(ml, tmp_path_factory):
    d = tmp_path_factory.mktemp("text")
    path = d / "trades.parquet"
    ml.run("generate", "trades", "--symbols", 9, "--days", 3, "--rows", 20000, "--seed", 9,
           "--out", path)
    return path, decode_dicts(pq.read_table(path))


def duck_csv(path) -> pa.Table:
    import duckdb
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    res = con.sql(f"SELECT * FROM read_csv('{path}', header=true, "
                  "types={'ts': 'TIMESTAMPTZ_NS'})").arrow()
    con.close()
    return res.read_all() if isinstance(res, pa.RecordBatchReader) else res


@pytest.mark.parametrize("ext", ["csv", "csv.gz"])
def test_parquet_csv_parquet(ml, trades, tmp_path, ext):
    src, expected = trades
    csv = tmp_path / f"t.{ext}"
    ml.run("convert", src, csv)
    if ext.endswith(".gz"):
        assert gzip.open(csv).read(3)  # a real gzip stream
    # pyarrow reads marketlake's CSV to the same values.
    opts = pacsv.ConvertOptions(column_types={"ts": pa.timestamp("ns", tz="UTC")})
    assert_tables_equal(pacsv.read_csv(csv, convert_options=opts), expected, "pyarrow csv")
    if ext == "csv":
        assert_tables_equal(duck_csv(csv), expected, "duckdb csv")
    # marketlake reads it back (types inferred) to the same Parquet.
    back = tmp_path / "back.parquet"
    ml.run("convert", csv, back)
    assert_tables_equal(pq.read_table(back), expected, "csv -> parquet (inferred)")
    back2 = tmp_path / "back2.parquet"
    ml.run("convert", csv, back2, "--schema", SCHEMA)
    assert_tables_equal(pq.read_table(back2), expected, "csv -> parquet (--schema)")
    # And to CSV again: byte-identical text.
    csv2 = tmp_path / "again.csv"
    ml.run("convert", back, csv2)
    raw = gzip.open(csv).read() if ext.endswith(".gz") else csv.read_bytes()
    assert csv2.read_bytes() == raw


def test_csv_written_by_pyarrow_and_duckdb(ml, trades, tmp_path):
    src, expected = trades
    pa_csv = tmp_path / "pa.csv"
    pacsv.write_csv(expected, pa_csv)
    out = tmp_path / "pa.parquet"
    ml.run("convert", pa_csv, out, "--schema", SCHEMA)
    assert_tables_equal(pq.read_table(out), expected, "pyarrow csv -> marketlake")
    import duckdb
    d_csv = tmp_path / "duck.csv"
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{d_csv}' (HEADER, "
                "TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%nZ')")
    con.close()
    out2 = tmp_path / "duck.parquet"
    ml.run("convert", d_csv, out2, "--schema", SCHEMA)
    assert_tables_equal(pq.read_table(out2), expected, "duckdb csv -> marketlake")


@pytest.mark.parametrize("ext", ["jsonl", "jsonl.gz"])
def test_parquet_jsonl_parquet(ml, trades, tmp_path, ext):
    src, expected = trades
    jl = tmp_path / f"t.{ext}"
    ml.run("convert", src, jl)
    raw = gzip.open(jl).read() if ext.endswith(".gz") else jl.read_bytes()
    assert_jsonl_matches(parse_jsonl(raw), expected, "jsonl values")
    back = tmp_path / "back.parquet"
    ml.run("convert", jl, back, "--schema", SCHEMA)
    assert_tables_equal(pq.read_table(back), expected, "jsonl -> parquet")
    # DuckDB reads marketlake's JSON lines to the same values.
    import duckdb
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    res = con.sql(f"SELECT * FROM read_json('{jl}', format='newline_delimited', columns="
                  "{'ts':'TIMESTAMPTZ_NS','symbol':'VARCHAR','price':'DOUBLE','size':'BIGINT',"
                  "'exchange':'VARCHAR','trade_id':'BIGINT'})").arrow()
    con.close()
    t = res.read_all() if isinstance(res, pa.RecordBatchReader) else res
    assert_tables_equal(t, expected, "duckdb jsonl")


def test_jsonl_infers_iso_timestamps(ml, trades, tmp_path):
    """Without --schema, marketlake's own JSON timestamps come back as timestamps."""
    src, expected = trades
    jl = tmp_path / "t.jsonl"
    ml.run("convert", src, jl)
    back = tmp_path / "back.parquet"
    ml.run("convert", jl, back)
    assert pa.types.is_timestamp(pq.read_schema(back).field("ts").type)


def test_cat_text_inputs_with_where(ml, trades, tmp_path):
    src, expected = trades
    csv = tmp_path / "t.csv"
    ml.run("convert", src, csv)
    where = "symbol = 'AAPL' AND price > 5 AND ts < '2024-03-05T15:00:00Z'"
    from_parquet = ml.run("cat", src, "--where", where, "--format", "jsonl").stdout
    from_csv = ml.run("cat", csv, "--where", where, "--format", "jsonl").stdout
    assert from_csv == from_parquet
    assert from_parquet
