"""`marketlake import` and `validate`: every source format and the column variants of the
source documents, hostile input, idempotence, kill -9 halfway, concurrent importers, and
DuckDB and pyarrow reading the lake with hive partitioning and getting exactly the rows.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from cli_util import fails, ok, run

UTC = dt.timezone.utc


def lake_rows(lake: Path, dataset: str, columns: list[str]) -> list[tuple]:
    """Rows of a dataset read by pyarrow with hive partitioning, sorted."""
    d = pads.dataset(lake / "cleaned" / dataset, format="parquet", partitioning="hive")
    t = d.to_table(columns=columns)
    return sorted(zip(*[t.column(c).to_pylist() for c in columns]))


def duck_rows(lake: Path, dataset: str, columns: list[str]) -> list[tuple]:
    glob = str(lake / "cleaned" / dataset / "**" / "*.parquet")
    q = f"SELECT {', '.join(columns)} FROM read_parquet('{glob}', hive_partitioning=true)"
    t = duckdb.sql(q).to_arrow_table()  # (fetchall() would need pytz for TIMESTAMPTZ)
    return sorted(zip(*[t.column(c).to_pylist() for c in columns]))


def report(p) -> dict:
    return json.loads(p.stdout)


def ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC)


TRADES_CSV = (
    "ticker,timestamp,price,volume\n"
    "AAPL,2024-01-15T14:30:00Z,185.5,100\n"
    "MSFT,2024-01-15T14:30:00.250Z,390.25,50\n"
    "AAPL,2024-01-16T09:30:00-05:00,186.0,200\n"
)
TRADES_EXPECTED = [
    ("AAPL", ts("2024-01-15T14:30:00Z"), 185.5, 100),
    ("AAPL", ts("2024-01-16T14:30:00Z"), 186.0, 200),
    ("MSFT", ts("2024-01-15T14:30:00.250Z"), 390.25, 50),
]


def test_csv_gzip_jsonl_parquet_sources_give_the_same_rows(marketlake_bin, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "t.csv").write_text(TRADES_CSV)
    with gzip.open(src / "t.csv.gz", "wt") as f:
        f.write(TRADES_CSV)
    lines = []
    for line in TRADES_CSV.splitlines()[1:]:
        sym, t, p, v = line.split(",")
        lines.append(json.dumps({"symbol": sym, "ts": t, "price": float(p), "size": int(v)}))
    (src / "t.jsonl").write_text("\n".join(lines) + "\n")
    with gzip.open(src / "t.jsonl.gz", "wt") as f:
        f.write("\n".join(lines) + "\n")
    pq.write_table(pa.table({
        "ticker": ["AAPL", "MSFT", "AAPL"],
        "timestamp": pa.array([ts("2024-01-15T14:30:00Z"), ts("2024-01-15T14:30:00.250Z"),
                               ts("2024-01-16T14:30:00Z")], pa.timestamp("ns")),
        "price": [185.5, 390.25, 186.0],
        "volume": pa.array([100, 50, 200], pa.int64()),
    }), src / "t.parquet")
    for name in ["t.csv", "t.csv.gz", "t.jsonl", "t.jsonl.gz", "t.parquet"]:
        lake = tmp_path / ("lake_" + name.replace(".", "_"))
        p = ok(marketlake_bin, "import", src / name, "--lake", lake, "--type", "trades", "--json")
        r = report(p)
        assert r["rows_written"] == 3, (name, r)
        assert lake_rows(lake, "trades", ["symbol", "ts", "price", "size"]) == TRADES_EXPECTED, name
        assert duck_rows(lake, "trades", ["symbol", "ts", "price", "size"]) == TRADES_EXPECTED, name


def test_reimport_adds_nothing_and_stats_count_it(marketlake_bin, tmp_path):
    (tmp_path / "t.csv").write_text(TRADES_CSV)
    lake = tmp_path / "lake"
    first = report(ok(marketlake_bin, "import", tmp_path / "t.csv", "--lake", lake, "--json"))
    assert first["datasets"][0]["version"] == 1
    again = report(ok(marketlake_bin, "import", tmp_path / "t.csv", "--lake", lake, "--json"))
    assert again["rows_written"] == 0
    assert again["datasets"][0]["duplicates_in_lake"] == 3
    assert again["datasets"][0]["version"] == 0
    assert duck_rows(lake, "trades", ["symbol", "ts", "price", "size"]) == TRADES_EXPECTED
    # --no-dedup really appends.
    ok(marketlake_bin, "import", tmp_path / "t.csv", "--lake", lake, "--no-dedup")
    assert len(duck_rows(lake, "trades", ["symbol", "ts"])) == 6


def test_source_document_variants(marketlake_bin, tmp_path):
    """Quotes with price/volume and bid/ask, OHLCV daily with dates and adj_close, news
    with tickers as a list and as a comma-separated string: detected by column and path."""
    md = tmp_path / "market_data"
    (md / "quotes" / "2024" / "01" / "15").mkdir(parents=True)
    pq.write_table(pa.table({
        "ticker": ["AAPL", "AAPL"],
        "timestamp": pa.array([ts("2024-01-15T14:30:00Z"), ts("2024-01-15T14:30:01Z")],
                              pa.timestamp("ns")),
        "price": [150.25, 150.3],
        "volume": pa.array([1000000, 5], pa.int64()),
        "bid": [150.2, 150.25],
        "ask": [150.3, 150.35],
        "bid_size": pa.array([100, 200], pa.int64()),
        "ask_size": pa.array([100, 300], pa.int64()),
    }), md / "quotes" / "2024" / "01" / "15" / "AAPL_20240115.parquet")
    (md / "ohlcv" / "daily" / "2024").mkdir(parents=True)
    pq.write_table(pa.table({
        "ticker": ["AAPL", "AAPL"],
        "date": ["2024-01-15", "2024-01-16"],
        "open": [150.0, 151.0], "high": [152.0, 153.0], "low": [149.5, 150.5],
        "close": [151.0, 152.5], "volume": pa.array([50000000, 40000000], pa.int64()),
        "adj_close": [151.0, 152.5],
    }), md / "ohlcv" / "daily" / "2024" / "AAPL_2024.parquet")
    (md / "news" / "2024" / "01").mkdir(parents=True)
    pq.write_table(pa.table({
        "headline": ["Apple announces", "Microsoft and Apple"],
        "source": ["Reuters", "AP"],
        "published_at": pa.array([ts("2024-01-15T12:00:00Z"), ts("2024-01-15T13:00:00Z")],
                                 pa.timestamp("ns")),
        "tickers": [["AAPL"], ["MSFT", "AAPL"]],
        "sentiment_score": [0.75, -0.1],
    }), md / "news" / "2024" / "01" / "news_20240115.parquet")
    (md / "news" / "2024" / "01" / "news_20240116.csv").write_text(
        "headline,source,published_at,tickers\n"
        "\"Chips, again\",Reuters,2024-01-16T12:00:00Z,\"NVDA,AMD\"\n")
    lake = tmp_path / "lake"
    r = report(ok(marketlake_bin, "import", md, "--lake", lake, "--json"))
    by_source = {Path(s["source"]).name: s["dataset"] for s in r["sources"]}
    assert by_source == {"AAPL_20240115.parquet": "quotes", "AAPL_2024.parquet": "bars_1d",
                         "news_20240115.parquet": "news", "news_20240116.csv": "news"}
    assert lake_rows(lake, "quotes", ["symbol", "ts", "bid", "ask", "price", "volume"]) == [
        ("AAPL", ts("2024-01-15T14:30:00Z"), 150.2, 150.3, 150.25, 1000000),
        ("AAPL", ts("2024-01-15T14:30:01Z"), 150.25, 150.35, 150.3, 5)]
    bars = lake_rows(lake, "bars_1d", ["symbol", "ts", "open", "close", "adj_close", "volume"])
    assert [b[0] for b in bars] == ["AAPL", "AAPL"]
    assert [b[2:] for b in bars] == [(150.0, 151.0, 151.0, 50000000),
                                     (151.0, 152.5, 152.5, 40000000)]
    news = lake_rows(lake, "news", ["headline", "tickers"])
    assert news == [("Apple announces", ["AAPL"]), ("Chips, again", ["NVDA", "AMD"]),
                    ("Microsoft and Apple", ["MSFT", "AAPL"])]


def test_naive_times_are_read_in_the_stated_zone(marketlake_bin, tmp_path):
    (tmp_path / "t.csv").write_text("symbol,ts,price,size\nAAPL,2024-03-11 09:30:00,1,1\n")
    lake = tmp_path / "lake"
    ok(marketlake_bin, "import", tmp_path / "t.csv", "--lake", lake, "--tz", "America/New_York")
    assert lake_rows(lake, "trades", ["ts"]) == [(ts("2024-03-11T13:30:00Z"),)]  # EDT


def test_strict_error_names_file_column_row_value_and_commits_nothing(marketlake_bin,
                                                                      tmp_path):
    (tmp_path / "bad.csv").write_text(
        "symbol,ts,price,size\nAAPL,2024-01-15T14:30:00Z,1,1\nAAPL,2024-01-15T14:30:01Z,x1,1\n")
    lake = tmp_path / "lake"
    line = fails(marketlake_bin, "import", tmp_path / "bad.csv", "--lake", lake,
                 code=4, category="data type")
    assert "bad.csv" in line and "row 1" in line and "'price'" in line and "'x1'" in line, line
    assert not list((lake / "cleaned").rglob("*.parquet")) if (lake / "cleaned").exists() else True
    stats = json.loads(ok(marketlake_bin, "stats", "--lake", lake, "--json").stdout)
    assert json.dumps(stats).count('"failures": 1') + json.dumps(stats).count('"failures":1') >= 1


def test_coerce_rejects_file_and_validate(marketlake_bin, tmp_path):
    (tmp_path / "m.csv").write_text(
        "symbol,ts,price,size\nAAPL,2024-01-15T14:30:00Z,1,1\n"
        "AAPL,2024-01-15T14:30:01Z,-2,1\nAAPL,2024-01-15T14:30:02Z,3,oops\n")
    rej = tmp_path / "rejects"
    v = report(ok(marketlake_bin, "validate", tmp_path / "m.csv", "--mode", "coerce",
                  "--rejects", rej, "--json"))
    assert v["dry_run"] is True and v["rows_rejected"] == 2 and v["rows_written"] == 1
    rules = {(x["rule"], x["column"]): x["rows"] for x in v["sources"][0]["violations"]}
    assert rules == {("positive", "price"): 1, ("type", "size"): 1}
    text = (rej / "m.csv.rejects.csv").read_text()
    assert "-2" in text and "oops" in text and "_reject_rule" in text
    lake = tmp_path / "lake"
    r = report(ok(marketlake_bin, "import", tmp_path / "m.csv", "--lake", lake, "--mode",
                  "coerce", "--json"))
    rf = Path(r["sources"][0]["rejects_file"])
    assert rf.is_file() and str(rf).startswith(str(lake / "_marketlake" / "rejects" / "trades"))
    assert lake_rows(lake, "trades", ["price"]) == [(1.0,)]
    # strict validate fails with the row.
    fails(marketlake_bin, "validate", tmp_path / "m.csv", code=4, category="data type")


@pytest.mark.parametrize("name,content,category,code", [
    ("quote.csv", 'symbol,ts,price,size\n"AAPL,2024-01-15T14:30:00Z,1,1\n', "corruption", 4),
    ("nul.csv", "symbol,ts,price,size\nAA\x00PL,2024-01-15T14:30:00Z,1,1\n", None, 0),
    ("cols.csv", "symbol,ts,price,size\nAAPL,2024-01-15T14:30:00Z,1\n", "corruption", 4),
    ("noprice.csv", "symbol,ts,size\nAAPL,2024-01-15T14:30:00Z,1\n", "missing column", 4),
    ("huge.csv", "symbol,ts,price,size\n" + "A" * (5 << 20) + ",2024-01-15T14:30:00Z,1,1\n",
     "corruption", 4),
    ("empty.csv", "", "corruption", 4),
])
def test_hostile_csv(marketlake_bin, tmp_path, name, content, category, code):
    (tmp_path / name).write_bytes(content.encode())
    lake = tmp_path / "lake"
    args = ["import", tmp_path / name, "--lake", lake, "--type", "trades"]
    if category is None:
        ok(marketlake_bin, *args)
    else:
        line = fails(marketlake_bin, *args, code=code, category=category)
        assert name in line, line


def test_symbols_cannot_escape_the_lake(marketlake_bin, tmp_path):
    (tmp_path / "t.csv").write_text(
        "symbol,ts,price,size\n../../x,2024-01-15T14:30:00Z,1,1\n/etc,2024-01-15T14:30:01Z,2,2\n")
    lake = tmp_path / "lake"
    ok(marketlake_bin, "import", tmp_path / "t.csv", "--lake", lake, "--partition", "day,symbol")
    files = [p.relative_to(lake) for p in lake.rglob("*.parquet")]
    assert files and all(str(f).startswith("cleaned/trades/") for f in files), files
    assert not (tmp_path / "x").exists()
    assert lake_rows(lake, "trades", ["symbol", "price"]) == [("../../x", 1.0), ("/etc", 2.0)]


def test_glob_and_directory_sources(marketlake_bin, tmp_path):
    d = tmp_path / "in" / "trades"
    d.mkdir(parents=True)
    (d / "a.csv").write_text("symbol,ts,price,size\nA,2024-01-15T14:30:00Z,1,1\n")
    (d / "b.csv").write_text("symbol,ts,price,size\nB,2024-01-15T14:30:00Z,2,2\n")
    (d / "_SUCCESS").write_text("")
    lake = tmp_path / "lake"
    r = report(ok(marketlake_bin, "import", str(d) + "/*.csv", "--lake", lake, "--json"))
    assert len(r["sources"]) == 2
    fails(marketlake_bin, "import", str(d) + "/*.parquet", "--lake", lake, code=3,
          category="not found")


def make_big_csv(path: Path, rows: int, days: int = 5) -> None:
    with open(path, "w") as f:
        f.write("symbol,ts,price,size\n")
        base = dt.datetime(2024, 1, 15, 14, 30, tzinfo=UTC)
        for i in range(rows):
            t = base + dt.timedelta(days=i % days, microseconds=i)
            f.write(f"S{i % 7},{t.isoformat().replace('+00:00', 'Z')},{100 + i % 1000 / 100},"
                    f"{i}\n")


def test_kill_9_halfway_leaves_nothing_visible(marketlake_bin, tmp_path):
    src = tmp_path / "big.csv"
    make_big_csv(src, 400_000)
    lake = tmp_path / "lake"
    proc = subprocess.Popen([str(marketlake_bin), "-q", "import", str(src), "--lake", str(lake),
                             "--memory-limit", "64KiB", "--parallel", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if (lake / "cleaned").exists() and any((lake / "cleaned").rglob("*.parquet")):
            break
        time.sleep(0.01)
    assert proc.poll() is None, "import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Nothing is committed: the log is empty, readers see no rows.
    assert not (lake / "_marketlake" / "trades" / "_log").exists() or not any(
        (lake / "_marketlake" / "trades" / "_log").glob("*.json"))
    p = run(marketlake_bin, "read", "trades", "--lake", lake, "--format", "csv")
    assert p.stdout.decode().count("\n") <= 1, p.stdout[:200]
    # What the killed import wrote is unreferenced; `clean` deletes it.
    assert any((lake / "cleaned").rglob("*.parquet"))
    c = json.loads(ok(marketlake_bin, "clean", "trades", "--lake", lake, "--older-than-hours",
                      "0", "--json").stdout)
    assert c["orphans_deleted"]
    assert not any((lake / "cleaned").rglob("*.parquet"))
    # A fresh import then gives exactly the rows.
    r = report(ok(marketlake_bin, "import", src, "--lake", lake, "--json"))
    assert r["rows_written"] == 400_000


def test_two_concurrent_importers_lose_nothing_and_add_once(marketlake_bin, tmp_path):
    a = tmp_path / "a.csv"
    make_big_csv(a, 60_000)
    b = tmp_path / "b.csv"
    b.write_text("symbol,ts,price,size\nZZ,2024-01-15T10:00:00Z,5,5\n")
    lake = tmp_path / "lake"
    procs = [subprocess.Popen([str(marketlake_bin), "-q", "import", str(src), "--lake",
                               str(lake), "--json"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
             for src in (a, a, b, a)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    rows = duck_rows(lake, "trades", ["symbol", "ts", "size"])
    assert len(rows) == 60_001
    assert len(set(rows)) == 60_001
    written = sum(json.loads(o)["rows_written"] for o, _ in outs)
    assert written == 60_001


def test_help_has_examples(marketlake_bin):
    for verb in ["import", "validate"]:
        p = ok(marketlake_bin, verb, "--help")
        assert "Examples:" in p.stdout.decode()


def test_list_columns_round_trip_through_csv(marketlake_bin, tmp_path):
    """Trades' conditions list: a CSV cell "@,F" imports as a list and `read --format csv`
    writes it back as the same cell (CSV has no lists)."""
    (tmp_path / "c.csv").write_text("symbol,ts,price,size,conditions\n"
                                    "A,2024-03-04T15:00:00Z,1,1,\"@,F\"\n"
                                    "A,2024-03-04T15:00:01Z,2,1,\n")
    lake = tmp_path / "lake"
    ok(marketlake_bin, "import", tmp_path / "c.csv", "--lake", lake)
    assert lake_rows(lake, "trades", ["price", "conditions"]) == [(1.0, ["@", "F"]), (2.0, None)]
    out = ok(marketlake_bin, "read", "trades", "--lake", lake, "--columns", "price,conditions",
             "--format", "csv").stdout.decode()
    assert out.splitlines() == ['"price","conditions"', '1,"@,F"', "2,"]


def test_custom_schema_delimiter_and_schema_check(marketlake_bin, tmp_path):
    (tmp_path / "fx.yaml").write_text(
        "name: fx_rates\nkey: [pair, ts]\ncolumns:\n"
        "  - {name: pair, type: string, nullable: false, aliases: [ccy_pair]}\n"
        "  - {name: ts, type: timestamp, nullable: false}\n"
        "  - {name: rate, type: float64}\n"
        "rules:\n  - {rule: positive, column: rate}\n")
    (tmp_path / "fx.csv").write_text("ccy_pair;ts;rate\nEURUSD;2024-01-15T10:00:00Z;1.0875\n"
                                     "USDJPY;2024-01-15T10:00:00Z;147.5\n")
    lake = tmp_path / "lake"
    r = report(ok(marketlake_bin, "import", tmp_path / "fx.csv", "--lake", lake, "--schema",
                  tmp_path / "fx.yaml", "--type", "fx_rates", "--delimiter", ";", "--json"))
    assert r["rows_written"] == 2
    assert lake_rows(lake, "fx_rates", ["pair", "rate"]) == [("EURUSD", 1.0875),
                                                             ("USDJPY", 147.5)]
    c = json.loads(ok(marketlake_bin, "schema", "check", tmp_path / "fx.csv", "--dataset",
                      "fx_rates", "--schema", tmp_path / "fx.yaml", "--lake", lake,
                      "--delimiter", ";", "--json").stdout)
    assert c["compatible"] is True and c["dataset"] == "fx_rates"
    # A trades file without prices cannot be trades.
    (tmp_path / "np.csv").write_text("symbol,ts,size\nA,2024-01-15T10:00:00Z,1\n")
    line = fails(marketlake_bin, "schema", "check", tmp_path / "np.csv", "--dataset", "trades",
                 code=4, category="missing column")
    assert "price" in line


def test_every_command_has_help_with_examples(marketlake_bin):
    text = ok(marketlake_bin, "--help").stdout.decode()
    block = text.split("Subcommands:\n")[1].split("\n\n")[0]
    verbs = [line.split()[0] for line in block.splitlines()]
    assert {"import", "read", "bars", "clean", "schema"} <= set(verbs), verbs
    assert "marketlake" not in verbs, verbs
    for verb in verbs:
        args = [verb, "check"] if verb == "schema" else [verb]
        help_text = ok(marketlake_bin, *args, "--help").stdout.decode()
        assert "Examples:" in help_text, verb
