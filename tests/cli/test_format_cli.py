"""The format verbs of the CLI: generate, convert, cat, inspect, describe.

Help and version, exit codes and the one-line error contract, deterministic generation in
New York trading hours, describe against pyarrow, atomic convert, and the bad-data corpus in
tests/data/bad (see its README.md for what each file is and the error it must give).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from cli_util import ok, run

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
NY = ZoneInfo("America/New_York")
FORMAT_COMMANDS = ["generate", "convert", "cat", "inspect", "describe"]


def assert_error(p, rc, *needles):
    """Exit code `rc` and exactly one stderr line 'marketlake: error: ...' containing needles."""
    err = p.stderr.decode(errors="replace")
    lines = err.splitlines()
    assert p.returncode == rc if isinstance(rc, int) else p.returncode in rc, (
        f"rc={p.returncode}, expected {rc}: {err}")
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {err!r}"
    assert lines[0].startswith("marketlake: error: "), lines[0]
    for n in needles:
        assert n in lines[0], f"{n!r} not in {lines[0]!r}"
    return lines[0]


@pytest.fixture(scope="module")
def trades(marketlake_bin, tmp_path_factory):
    d = tmp_path_factory.mktemp("fmt")
    path = d / "trades.parquet"
    ok(marketlake_bin, "generate", "trades", "--symbols", 10, "--days", 3, "--rows", 30000,
       "--out", path)
    return path


# ------------------------------------------------------------------ help and version

@pytest.mark.parametrize("command", [None] + FORMAT_COMMANDS)
def test_help_has_examples(marketlake_bin, command):
    args = ["--help"] if command is None else [command, "--help"]
    p = run(marketlake_bin, *args)
    assert p.returncode == 0
    out = p.stdout.decode()
    assert "Examples:" in out
    assert "marketlake " in out.split("Examples:")[1]


def test_every_listed_command_has_examples(marketlake_bin):
    top = run(marketlake_bin, "--help").stdout.decode()
    section = top.split("Subcommands:")[1].split("Examples:")[0]
    commands = [line.split()[0] for line in section.splitlines() if line.startswith("  ")]
    assert set(FORMAT_COMMANDS) <= set(commands)
    for c in commands:
        assert "Examples:" in run(marketlake_bin, c, "--help").stdout.decode(), c


def test_version(marketlake_bin):
    p = run(marketlake_bin, "--version")
    assert p.returncode == 0
    assert re.fullmatch(r"marketlake \d+\.\d+\.\d+ \(Arrow C\+\+ 26\.\d+\.\d+\)\n",
                        p.stdout.decode()), p.stdout


def test_memory_pool_jemalloc_unless_user_chooses(marketlake_bin, tmp_path):
    # marketlake picks jemalloc (faster than the wheel's mimalloc default on large imports);
    # an ARROW_DEFAULT_MEMORY_POOL set by the user is kept. -v reports the pool and its peak.
    src = tmp_path / "t.csv"
    ok(marketlake_bin, "generate", "trades", "--symbols", "3", "--days", "1", "--rows", "2000",
       "--out", src)
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    for chosen, want in ((None, "jemalloc"), ("system", "system")):
        e = dict(env, **({"ARROW_DEFAULT_MEMORY_POOL": chosen} if chosen else {}))
        p = run(marketlake_bin, "-v", "convert", src, tmp_path / f"{want}.parquet", env=e)
        assert p.returncode == 0, p.stderr
        m = re.search(r"marketlake: memory pool: (\w+), peak (\d+) bytes\n", p.stderr.decode())
        assert m, p.stderr
        assert m.group(1) == want
        assert int(m.group(2)) > 0


# ------------------------------------------------------------------ exit codes and messages

def test_missing_file(marketlake_bin, tmp_path):
    missing = tmp_path / "nope.parquet"
    for args in (["inspect", missing], ["cat", missing], ["describe", missing],
                 ["convert", missing, tmp_path / "o.parquet"],
                 ["cat", tmp_path / "nope.csv"]):
        assert_error(run(marketlake_bin, *args), 3, "not found", str(args[1]))
    assert not (tmp_path / "o.parquet").exists()


def test_non_parquet_given_to_inspect(marketlake_bin, tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("hello, this is not parquet\n" * 10)
    assert_error(run(marketlake_bin, "inspect", f), 4, "corruption", str(f))


def test_truncated_parquet(marketlake_bin, trades, tmp_path):
    data = trades.read_bytes()
    for cut in (len(data) // 2, len(data) - 3, 7):
        f = tmp_path / f"cut{cut}.parquet"
        f.write_bytes(data[:cut])
        for cmd in ("inspect", "cat", "describe"):
            assert_error(run(marketlake_bin, cmd, f), 4, "corruption", str(f))


@pytest.mark.parametrize("where,offset", [
    ("price >", 7), ("symbol = 'AAPL", 9), ("(price < 1", 10), ("price < 1 AND", 13),
    ("symbol IN ()", 11), ("price @ 3", 6)])
def test_bad_where(marketlake_bin, trades, where, offset):
    line = assert_error(run(marketlake_bin, "cat", trades, "--where", where), 2,
                        "invalid argument", "at byte ")
    n = int(re.search(r"at byte (\d+)", line).group(1))
    assert n == offset, line


def test_unknown_columns(marketlake_bin, trades):
    assert_error(run(marketlake_bin, "cat", trades, "--where", "nocol = 1"), (3, 4), "'nocol'")
    assert_error(run(marketlake_bin, "cat", trades, "--columns", "ts,nocol"), (3, 4), "'nocol'")
    assert_error(run(marketlake_bin, "cat", trades, "--where", "ts > 'yesterday'"), 4,
                 "'ts'", "yesterday")


@pytest.mark.parametrize("spec,needles", [
    ("price=DELTA_BINARY_PACKED", ["price", "DELTA_BINARY_PACKED", "double"]),
    ("symbol=BYTE_STREAM_SPLIT", ["symbol", "BYTE_STREAM_SPLIT"]),
    ("ts=DELTA_BYTE_ARRAY", ["ts", "DELTA_BYTE_ARRAY"]),
    ("price=DELTA_LENGTH_BYTE_ARRAY", ["price", "DELTA_LENGTH_BYTE_ARRAY"]),
    ("price=FANCY", ["FANCY"]),
    ("price", ["price"]),
])
def test_bad_encoding(marketlake_bin, trades, tmp_path, spec, needles):
    out = tmp_path / "o.parquet"
    assert_error(run(marketlake_bin, "convert", trades, out, "--encoding", spec), 2, *needles)
    assert not out.exists()


def test_encoding_unknown_column(marketlake_bin, trades, tmp_path):
    out = tmp_path / "o.parquet"
    assert_error(run(marketlake_bin, "convert", trades, out, "--encoding", "nocol=PLAIN"),
                 (2, 3, 4), "nocol")
    assert not out.exists()


def test_bad_compression_and_schema(marketlake_bin, trades, tmp_path):
    out = tmp_path / "o.parquet"
    assert_error(run(marketlake_bin, "convert", trades, out, "--compression", "lzo"), 2, "lzo")
    assert_error(run(marketlake_bin, "generate", "trades", "--rows", 10, "--out", out,
                     "--compression", "zip"), 2, "zip")
    csv = tmp_path / "in.csv"
    csv.write_text("a,b\n1,2\n")
    assert_error(run(marketlake_bin, "convert", csv, out, "--schema", "a:dbl"), 2, "dbl")
    assert_error(run(marketlake_bin, "convert", csv, out, "--schema", "garbage"), 2, "schema")
    assert_error(run(marketlake_bin, "convert", csv, out, "--schema", "a:timestamp[fortnight]"),
                 2, "schema")
    assert not out.exists()


def test_usage_errors_are_one_line(marketlake_bin):
    """Errors found by the option parser follow the same one-line contract, exit 2."""
    for args in (["cat"], ["generate", "trades", "--rows", "many", "--out", "x.csv"],
                 ["generate", "trades", "--out", "x.parquet", "--page-version", "3"],
                 ["frobnicate"]):
        assert_error(run(marketlake_bin, *args), 2)


# ------------------------------------------------------------------ generate

def test_generate_deterministic(marketlake_bin, tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    ok(marketlake_bin, "generate", "trades", "--rows", 20000, "--seed", 5, "--out", a)
    ok(marketlake_bin, "generate", "trades", "--rows", 20000, "--seed", 5, "--out", b)
    ok(marketlake_bin, "generate", "trades", "--rows", 20000, "--seed", 6, "--out", c)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    qa, qb = tmp_path / "qa.jsonl", tmp_path / "qb.jsonl"
    ok(marketlake_bin, "generate", "quotes", "--rows", 5000, "--out", qa)
    ok(marketlake_bin, "generate", "quotes", "--rows", 5000, "--out", qb)
    assert qa.read_bytes() == qb.read_bytes()
    # Parquet from the same seed holds the same rows.
    pa_, pb = tmp_path / "a.parquet", tmp_path / "b.parquet"
    ok(marketlake_bin, "generate", "trades", "--rows", 20000, "--seed", 5, "--out", pa_)
    ok(marketlake_bin, "generate", "trades", "--rows", 20000, "--seed", 5, "--out", pb)
    assert pq.read_table(pa_).equals(pq.read_table(pb))


@pytest.mark.parametrize("kind,columns", [
    ("trades", ["ts", "symbol", "price", "size", "exchange", "trade_id"]),
    ("quotes", ["ts", "symbol", "bid", "ask", "bid_size", "ask_size"])])
@pytest.mark.parametrize("ext", ["parquet", "csv", "jsonl", "csv.gz"])
def test_generate_row_counts(marketlake_bin, tmp_path, kind, columns, ext):
    out = tmp_path / f"g.{ext}"
    ok(marketlake_bin, "generate", kind, "--rows", 12345, "--symbols", 4, "--days", 2,
       "--out", out)
    if ext == "parquet":
        t = pq.read_table(out)
    else:
        back = tmp_path / "back.parquet"
        ok(marketlake_bin, "convert", out, back)
        t = pq.read_table(back)
    assert t.num_rows == 12345
    assert t.column_names == columns
    assert len(set(t["symbol"].to_pylist())) == 4


def test_generate_zero_rows(marketlake_bin, tmp_path):
    out = tmp_path / "z.parquet"
    ok(marketlake_bin, "generate", "trades", "--rows", 0, "--out", out)
    assert pq.read_table(out).num_rows == 0


def test_generate_ny_trading_hours_across_dst(marketlake_bin, tmp_path):
    out = tmp_path / "dst.parquet"
    # Fri 2024-03-08 (EST), then Mon 2024-03-11 and Tue 2024-03-12 (EDT).
    ok(marketlake_bin, "generate", "trades", "--start", "2024-03-08", "--days", 3, "--rows",
       60000, "--symbols", 5, "--out", out)
    t = pq.read_table(out)
    ts = t["ts"].cast(pa.int64()).to_pylist()
    assert ts == sorted(ts), "rows are in time order"
    by_day = {}
    for v in ts:
        utc = dt.datetime.fromtimestamp(v / 1e9, tz=dt.timezone.utc)
        ny = utc.astimezone(NY)
        assert ny.weekday() < 5
        assert dt.time(4, 0) <= ny.time() < dt.time(20, 0), ny
        d = by_day.setdefault(ny.date(), [utc, utc])
        d[0], d[1] = min(d[0], utc), max(d[1], utc)
    assert sorted(by_day) == [dt.date(2024, 3, 8), dt.date(2024, 3, 11), dt.date(2024, 3, 12)]
    # Pre-market opens at 04:00 New York: 09:00 UTC in EST, 08:00 UTC in EDT.
    assert by_day[dt.date(2024, 3, 8)][0].hour == 9
    assert by_day[dt.date(2024, 3, 11)][0].hour == 8
    assert by_day[dt.date(2024, 3, 12)][0].hour == 8
    # After-hours ends at 20:00 New York: 01:00 / 00:00 UTC the next day.
    assert by_day[dt.date(2024, 3, 8)][1] < dt.datetime(2024, 3, 9, 1, tzinfo=dt.timezone.utc)
    assert by_day[dt.date(2024, 3, 11)][1] < dt.datetime(2024, 3, 12, 0, tzinfo=dt.timezone.utc)
    assert by_day[dt.date(2024, 3, 11)][1] >= dt.datetime(2024, 3, 11, 23, tzinfo=dt.timezone.utc)


def test_generate_regular_session_busiest(marketlake_bin, tmp_path):
    out = tmp_path / "g.parquet"
    ok(marketlake_bin, "generate", "trades", "--days", 1, "--rows", 50000, "--out", out)
    ts = pq.read_table(out)["ts"].cast(pa.int64()).to_pylist()
    ny = [dt.datetime.fromtimestamp(v / 1e9, tz=dt.timezone.utc).astimezone(NY).time()
          for v in ts]
    regular = sum(dt.time(9, 30) <= t < dt.time(16, 0) for t in ny)
    assert regular > len(ny) / 2, regular


# ------------------------------------------------------------------ describe vs pyarrow

def test_describe_equals_pyarrow(marketlake_bin, trades, tmp_path):
    # Inject nulls so null counts mean something.
    t = pq.read_table(trades)
    mask = pa.array([i % 9 == 0 for i in range(t.num_rows)])
    cols = []
    for name in t.column_names:
        col = t[name].combine_chunks()
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if name in ("price", "size", "symbol", "ts"):
            col = pc.if_else(mask, pa.scalar(None, col.type), col)
        cols.append(col)
    t = pa.Table.from_arrays(cols, names=t.column_names)
    path = tmp_path / "nulls.parquet"
    pq.write_table(t, path)
    info = json.loads(ok(marketlake_bin, "describe", path, "--json").stdout)
    assert info["num_rows"] == t.num_rows
    for c in info["columns"]:
        col = t[c["name"]]
        assert c["nulls"] == col.null_count, c
        assert c["count"] == len(col) - col.null_count, c
        if pa.types.is_timestamp(col.type):
            mm = pc.min_max(col.cast(pa.int64()))
        else:
            mm = pc.min_max(col)
        lo, hi = mm["min"].as_py(), mm["max"].as_py()
        if pa.types.is_timestamp(col.type):
            got = [_iso_ns(c["min"]), _iso_ns(c["max"])]
        elif pa.types.is_floating(col.type):
            got = [float(c["min"]), float(c["max"])]
        elif pa.types.is_integer(col.type):
            got = [int(c["min"]), int(c["max"])]
        else:
            got = [c["min"], c["max"]]
        assert got == [lo, hi], c
    # The text form names the same numbers.
    text = ok(marketlake_bin, "describe", path).stdout.decode()
    assert f"rows: {t.num_rows}" in text


def _iso_ns(text):
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", text)
    assert m, text
    secs = int(dt.datetime.fromisoformat(m.group(1)).replace(tzinfo=dt.timezone.utc).timestamp())
    return secs * 10**9 + int((m.group(2) or "0").ljust(9, "0"))


def test_describe_text_inputs(marketlake_bin, trades, tmp_path):
    csv = tmp_path / "t.csv.gz"
    ok(marketlake_bin, "convert", trades, csv)
    a = json.loads(ok(marketlake_bin, "describe", trades, "--json").stdout)
    b = json.loads(ok(marketlake_bin, "describe", csv, "--json").stdout)
    assert a["num_rows"] == b["num_rows"]
    for ca, cb in zip(a["columns"], b["columns"]):
        assert (ca["name"], ca["count"], ca["nulls"], ca["min"], ca["max"]) == \
            (cb["name"], cb["count"], cb["nulls"], cb["min"], cb["max"])


# ------------------------------------------------------------------ convert is atomic

def write_csv_with_bad_row(path: Path, rows=200_000, bad_row=150_000):
    with open(path, "w") as f:
        f.write("ts,symbol,price,size\n")
        for i in range(1, rows + 1):
            price = "12.x5" if i == bad_row else f"{100 + (i % 997) / 100:.2f}"
            f.write(f"2024-03-04T14:30:{i % 60:02d}.{i:09d}Z,SYM{i % 7},{price},{i % 500}\n")


@pytest.mark.parametrize("out_name", ["out.parquet", "out.csv", "out.jsonl.gz"])
def test_convert_failure_leaves_nothing(marketlake_bin, tmp_path, out_name):
    src_dir = tmp_path / "src"
    dst_dir = tmp_path / "dst"
    src_dir.mkdir()
    dst_dir.mkdir()
    src = src_dir / "bad.csv"
    write_csv_with_bad_row(src)
    out = dst_dir / out_name
    p = run(marketlake_bin, "convert", src, out, "--schema",
            "ts:timestamp[ns,UTC],symbol:string,price:double,size:int64")
    line = assert_error(p, 4, str(src))
    assert "12.x5" in line or "price" in line, line
    assert not out.exists()
    assert list(dst_dir.iterdir()) == [], list(dst_dir.iterdir())
    assert list(src_dir.iterdir()) == [src]


def test_convert_failure_keeps_existing_destination(marketlake_bin, tmp_path):
    src = tmp_path / "bad.csv"
    write_csv_with_bad_row(src, rows=120_000, bad_row=100_000)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous contents")
    p = run(marketlake_bin, "convert", src, out, "--schema", "price:double")
    assert_error(p, 4, str(src))
    assert out.read_bytes() == b"previous contents"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["bad.csv", "out.parquet"]


def test_convert_success_replaces_and_leaves_no_temp(marketlake_bin, trades, tmp_path):
    out = tmp_path / "o.parquet"
    out.write_bytes(b"old")
    ok(marketlake_bin, "convert", trades, out)
    assert pq.read_table(out).num_rows == pq.read_metadata(trades).num_rows
    assert [x.name for x in tmp_path.iterdir()] == ["o.parquet"]


def test_convert_json_summary(marketlake_bin, trades, tmp_path):
    out = tmp_path / "o.csv"
    p = ok(marketlake_bin, "convert", trades, out, "--json")
    s = json.loads(p.stdout)
    assert s["rows"] == pq.read_metadata(trades).num_rows
    assert s["bytes_out"] == out.stat().st_size
    assert s["bytes_in"] == trades.stat().st_size


# ------------------------------------------------------------------ bad-data corpus

# file -> {command: (exit code, category)}; every message must name the file.
CORRUPT_PARQUET = {c: (4, "corruption") for c in ("inspect", "cat", "describe", "convert")}
NOT_PARQUET = {"inspect": (4, "corruption")}
CORPUS = {
    "zero_length.parquet": CORRUPT_PARQUET,
    "truncated_footer.parquet": CORRUPT_PARQUET,
    "bad_magic.parquet": CORRUPT_PARQUET,
    "text_as_parquet.parquet": CORRUPT_PARQUET,
    "garbage_middle.parquet": {"cat": (4, "corruption"), "describe": (4, "corruption"),
                               "convert": (4, "corruption")},
    "wrong_column_count.csv": dict(NOT_PARQUET, cat=(4, "corruption"),
                                   describe=(4, "corruption"), convert=(4, "corruption")),
    "broken_line.jsonl": dict(NOT_PARQUET, cat=(4, "corruption"), describe=(4, "corruption"),
                              convert=(4, "corruption")),
    "huge_line.csv.gz": dict(NOT_PARQUET, cat=(4, "corruption"), describe=(4, "corruption"),
                             convert=(4, "corruption")),
    "embedded_nul.jsonl": dict(NOT_PARQUET, cat=(4, "corruption"), describe=(4, "corruption"),
                               convert=(4, "corruption")),
    "embedded_nul.csv": NOT_PARQUET,
}
CASES = [(f, c, exp) for f, cmds in CORPUS.items() for c, exp in cmds.items()]


@pytest.mark.parametrize("name,command,expected", CASES,
                         ids=[f"{f}-{c}" for f, c, _ in CASES])
def test_bad_corpus(marketlake_bin, tmp_path, name, command, expected):
    f = BAD / name
    assert f.exists(), f
    out = tmp_path / "out.parquet"
    args = [command, f] + ([out] if command == "convert" else [])
    rc, category = expected
    assert_error(run(marketlake_bin, *args), rc, f"error: {category}: ", str(f))
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_bad_corpus_is_documented():
    readme = (BAD / "README.md").read_text()
    for f in BAD.iterdir():
        if f.name != "README.md":
            assert f.name in CORPUS, f"{f.name} has no expectation in this test"
            assert f"`{f.name}`" in readme, f"{f.name} not in README.md"


def test_embedded_nul_csv(marketlake_bin, tmp_path):
    """A NUL byte inside a CSV field is data: kept in strings, refused in numbers."""
    f = BAD / "embedded_nul.csv"
    rows = [json.loads(x) for x in
            ok(marketlake_bin, "cat", f, "--format", "jsonl").stdout.decode().splitlines()]
    assert [r["symbol"] for r in rows] == ["AAPL", "MS\x00FT", "NVDA"]
    out = tmp_path / "o.parquet"
    p = run(marketlake_bin, "convert", f, out, "--schema", "symbol:string,price:double")
    assert_error(p, 4, str(f))
    assert not out.exists()
