"""Helpers for the interop suite (imported by its tests; conftest.py holds the fixtures)."""
from __future__ import annotations

import datetime as dt
import json
import re

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# ---------------------------------------------------------------- normalising tables

def decode_dicts(table: pa.Table) -> pa.Table:
    """Dictionary columns to their value type, large types to plain ones, one chunk each."""
    cols, fields = [], []
    for field, col in zip(table.schema, table.columns):
        typ = field.type
        if pa.types.is_dictionary(typ):
            col = col.cast(typ.value_type)
            typ = typ.value_type
        if pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
            col = col.cast(pa.string())
            typ = pa.string()
        if pa.types.is_large_binary(typ) or pa.types.is_binary_view(typ):
            col = col.cast(pa.binary())
            typ = pa.binary()
        if pa.types.is_timestamp(typ):
            # DuckDB says Etc/UTC, Polars UTC: same instants. Engines also differ in the unit
            # they read ms/us columns into (DuckDB: us): compare the instants in ns.
            tz = "UTC" if typ.tz in ("Etc/UTC", "+00:00", "Z") else typ.tz
            if tz != typ.tz or typ.unit != "ns":
                typ = pa.timestamp("ns", tz)
                col = col.cast(typ)
        cols.append(col)
        fields.append(pa.field(field.name, typ, nullable=True))
    return pa.Table.from_arrays([c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
                                 for c in cols], schema=pa.schema(fields))


def assert_tables_equal(actual: pa.Table, expected: pa.Table, what: str = ""):
    a, e = decode_dicts(actual), decode_dicts(expected)
    assert a.column_names == e.column_names, what
    assert a.num_rows == e.num_rows, f"{what}: {a.num_rows} rows, expected {e.num_rows}"
    if a.schema != e.schema:
        raise AssertionError(f"{what}: schema\n{a.schema}\n!=\n{e.schema}")
    if not a.equals(e):
        for name in a.column_names:
            if not a[name].equals(e[name]):
                bad = pc.invert(pc.fill_null(pc.equal(a[name], e[name]), False))
                idx = pc.indices_nonzero(bad)[0].as_py() if pc.any(bad).as_py() else None
                raise AssertionError(
                    f"{what}: column {name} differs, first at row {idx}: "
                    f"{a[name][idx] if idx is not None else '?'} vs "
                    f"{e[name][idx] if idx is not None else '?'}")
        raise AssertionError(f"{what}: tables differ")


def read_duckdb(path) -> pa.Table:
    import duckdb
    con = duckdb.connect()
    try:
        res = con.sql(f"SELECT * FROM read_parquet('{path}')").arrow()
        return res.read_all() if isinstance(res, pa.RecordBatchReader) else res
    finally:
        con.close()


def read_polars(path) -> pa.Table:
    import polars as pl
    return pl.read_parquet(str(path)).to_arrow()


ENGINES = {
    "pyarrow": lambda p: pq.read_table(p),
    "duckdb": read_duckdb,
    "polars": read_polars,
}

# ---------------------------------------------------------------- parsing marketlake text

_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$")


def parse_ts_ns(text: str) -> int:
    """An ISO-8601 string as printed by marketlake to integer nanoseconds since the epoch."""
    m = _TS_RE.match(text)
    assert m, f"not an ISO timestamp: {text!r}"
    y, mo, d, h, mi, s, frac, off = m.groups()
    base = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s),
                       tzinfo=dt.timezone.utc)
    secs = int(base.timestamp())
    ns = int((frac or "").ljust(9, "0")) if frac else 0
    if off and off != "Z":
        sign = 1 if off[0] == "+" else -1
        secs -= sign * (int(off[1:3]) * 3600 + int(off[4:6]) * 60)
    return secs * 1_000_000_000 + ns


def _ts_to_ns(col: pa.ChunkedArray) -> list:
    unit = col.type.unit
    mult = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
    ints = col.cast(pa.int64()).to_pylist()
    return [None if v is None else v * mult for v in ints]


def assert_jsonl_matches(rows: list, table: pa.Table, what: str = ""):
    """marketlake's JSON lines (parsed with parse_float=str) equal `table`'s values exactly.

    Timestamps are compared as integer nanoseconds, floats by value (NaN/inf print as null),
    decimals exactly, dates as ISO strings.
    """
    from decimal import Decimal
    import math
    table = decode_dicts(table)
    assert len(rows) == table.num_rows, f"{what}: {len(rows)} rows, expected {table.num_rows}"
    for name in table.column_names:
        col = table[name]
        typ = col.type
        got = [r.get(name, "<missing>") for r in rows]
        if pa.types.is_timestamp(typ):
            exp = _ts_to_ns(col)
            got = [None if g is None else parse_ts_ns(g) for g in got]
        elif pa.types.is_floating(typ):
            exp = [None if v is None or not math.isfinite(v) else v for v in col.to_pylist()]
            got = [None if g is None else float(g) for g in got]
            if typ == pa.float32():  # printed as the shortest float32 text
                import struct
                f32 = lambda v: None if v is None else struct.unpack("f", struct.pack("f", v))[0]
                got = [f32(g) for g in got]
        elif pa.types.is_decimal(typ):
            exp = col.to_pylist()
            got = [None if g is None else Decimal(g) for g in got]
        elif pa.types.is_date(typ):
            exp = [None if v is None else v.isoformat() for v in col.to_pylist()]
        elif pa.types.is_integer(typ):
            exp = col.to_pylist()
            got = [None if g is None else int(g) for g in got]
        elif pa.types.is_binary(typ):
            exp = [None if v is None else v.decode("latin-1") for v in col.to_pylist()]
        else:
            exp = col.to_pylist()
        if got != exp:
            bad = next(i for i, (g, e) in enumerate(zip(got, exp)) if g != e)
            raise AssertionError(f"{what}: column {name} row {bad}: {got[bad]!r} != {exp[bad]!r}")


def parse_jsonl(data: bytes) -> list:
    return [json.loads(line, parse_float=str) for line in data.decode().splitlines() if line]
