"""DuckDB as the oracle for the aggregate kernels (bars, quote sampling, as-of join).

Drives tests/aggregate_tool (ml_aggregate_tool): $ML_AGGREGATE_TOOL, else the first
build/*/tests/aggregate_tool/ml_aggregate_tool under the repository root. Data is generated
with pyarrow: ns timestamps, unsorted, with equal timestamps, around the 2024 DST switches,
Thanksgiving and its early close. DuckDB works on the integer nanoseconds (`t`) so that no
microsecond truncation creeps into the oracle; bucketing is time_bucket-equivalent epoch
alignment, checked against DuckDB's own time_bucket for whole-microsecond data.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

duckdb = pytest.importorskip("duckdb")

REPO = Path(__file__).resolve().parents[2]
NS = 1_000_000_000


def tool_path() -> Path | None:
    env = os.environ.get("ML_AGGREGATE_TOOL")
    if env:
        return Path(env)
    found = sorted(REPO.glob("build/*/tests/aggregate_tool/ml_aggregate_tool"),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    return found[0] if found else None


@pytest.fixture(scope="module")
def tool() -> Path:
    path = tool_path()
    if path is None or not path.exists():
        pytest.skip("ml_aggregate_tool not built")
    return path


def run(tool: Path, *args) -> None:
    proc = subprocess.run([str(tool), *map(str, args)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr


def ns(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()) * NS


WINDOWS = [("2024-03-07T08:00:00Z", "2024-03-13T01:00:00Z"),
           ("2024-10-31T08:00:00Z", "2024-11-05T01:00:00Z"),
           ("2024-11-26T08:00:00Z", "2024-12-03T01:00:00Z")]


def make_trades(n=60000, seed=5, whole_us=False) -> pa.Table:
    rng = np.random.default_rng(seed)
    parts = []
    for lo, hi in WINDOWS:
        parts.append(rng.integers(ns(lo), ns(hi), n // len(WINDOWS), dtype=np.int64))
    t = np.concatenate(parts)
    if whole_us:
        t = t - t % 1000
    syms = np.array(["AAPL", "MSFT", "SPY", "TSLA", "Z"])[rng.integers(0, 5, len(t))]
    # ~20% of rows repeat another row's timestamp (equal timestamps, same or other symbol).
    dup = rng.random(len(t)) < 0.2
    t[dup] = t[rng.integers(0, len(t), int(dup.sum()))]
    price = np.round(100 + rng.normal(0, 5, len(t)), 2)
    size = rng.integers(1, 500, len(t), dtype=np.int64)
    order = rng.permutation(len(t))  # unsorted
    return pa.table({
        "ts": pa.array(t[order], pa.timestamp("ns", "UTC")),
        "symbol": pa.array(syms[order]).dictionary_encode(),
        "price": pa.array(price[order]),
        "size": pa.array(size[order]),
        "rn": pa.array(np.arange(len(t), dtype=np.int64)),
    })


def with_t(table: pa.Table) -> pa.Table:
    return table.append_column("t", table["ts"].cast(pa.int64()))


def as_rows(table: pa.Table, cols) -> list:
    table = table.select(cols)
    out = []
    for c in cols:
        col = table[c]
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.int64())
        if pa.types.is_dictionary(col.type):
            col = col.cast(pa.string())
        out.append(col.to_pylist())
    return list(zip(*out))


def assert_rows(actual: pa.Table, expected: pa.Table, exact, approx=(), rel=1e-9):
    assert actual.num_rows == expected.num_rows, (actual.num_rows, expected.num_rows)
    a, e = as_rows(actual, exact), as_rows(expected, exact)
    for i, (x, y) in enumerate(zip(a, e)):
        assert x == y, f"row {i}: {x} != {y}"
    for c in approx:
        for i, (x, y) in enumerate(zip(actual[c].to_pylist(), expected[c].to_pylist())):
            if x is None or y is None:
                assert x is None and y is None, f"{c} row {i}: {x} vs {y}"
            else:
                assert abs(x - y) <= rel * max(abs(y), 1e-300), f"{c} row {i}: {x} vs {y}"


def fetch(con, sql: str) -> pa.Table:
    return con.sql(sql).to_arrow_table()


BAR_EXACT = ["symbol", "ts", "open", "high", "low", "close", "volume", "trade_count"]


@pytest.mark.parametrize("interval,interval_ns", [("1s", NS), ("5s", 5 * NS), ("1m", 60 * NS),
                                                  ("15m", 900 * NS), ("1h", 3600 * NS),
                                                  ("7m", 420 * NS)])
def test_intraday_bars_match_duckdb(tool, tmp_path, interval, interval_ns):
    trades = make_trades()
    pq.write_table(trades, tmp_path / "trades.parquet")
    run(tool, "bars", tmp_path / "trades.parquet", tmp_path / "bars.parquet",
        "--interval", interval)
    ours = pq.read_table(tmp_path / "bars.parquet")
    con = duckdb.connect()
    con.register("trades", with_t(trades))
    expected = fetch(con, f"""
        SELECT CAST(symbol AS VARCHAR) AS symbol,
               (t // {interval_ns}) * {interval_ns} AS ts,
               arg_min(price, (t, rn)) AS open, max(price) AS high, min(price) AS low,
               arg_max(price, (t, rn)) AS close, sum(size)::BIGINT AS volume,
               count(*)::BIGINT AS trade_count, sum(price * size) / sum(size) AS vwap
        FROM trades GROUP BY ALL ORDER BY symbol, ts""")
    assert_rows(ours, expected, BAR_EXACT, ["vwap"])
    # Bars from bars: 1s bars re-aggregated equal bars straight from trades (vwap too).
    if interval != "1s" and interval_ns % NS == 0:
        run(tool, "bars", tmp_path / "trades.parquet", tmp_path / "s1.parquet", "--interval", "1s")
        run(tool, "bars", tmp_path / "s1.parquet", tmp_path / "again.parquet", "--interval",
            interval, "--from-bars")
        assert_rows(pq.read_table(tmp_path / "again.parquet"), ours, BAR_EXACT, ["vwap"],
                    rel=1e-15)


def test_epoch_alignment_equals_duckdb_time_bucket(tool, tmp_path):
    trades = make_trades(whole_us=True)
    pq.write_table(trades, tmp_path / "trades.parquet")
    con = duckdb.connect()
    con.register("trades", with_t(trades))
    for interval, duck in [("1m", "1 minute"), ("5m", "5 minutes"), ("1h", "1 hour")]:
        run(tool, "bars", tmp_path / "trades.parquet", tmp_path / "b.parquet", "--interval",
            interval)
        ours = pq.read_table(tmp_path / "b.parquet")
        expected = fetch(con, f"""
            SELECT CAST(symbol AS VARCHAR) AS symbol,
                   epoch_us(time_bucket(INTERVAL '{duck}', make_timestamp(t // 1000))) * 1000
                       AS ts, count(*)::BIGINT AS trade_count
            FROM trades GROUP BY ALL ORDER BY symbol, ts""")
        assert_rows(ours, expected, ["symbol", "ts", "trade_count"])


def calendar_sets():
    holidays, early = [], []
    with open(REPO / "data/calendars/us_equities.csv") as f:
        for row in csv.reader(line for line in f if not line.startswith("#")):
            if row and row[0] == "holiday":
                holidays.append(row[1])
            elif row and row[0] == "early_close":
                early.append((row[1], row[2]))
    return holidays, early


@pytest.mark.parametrize("sessions", ["regular", "extended"])
def test_daily_bars_match_duckdb_new_york_days(tool, tmp_path, sessions):
    trades = make_trades(n=90000, seed=11)
    pq.write_table(trades, tmp_path / "trades.parquet")
    run(tool, "bars", tmp_path / "trades.parquet", tmp_path / "d.parquet", "--interval", "1d",
        "--sessions", sessions)
    ours = pq.read_table(tmp_path / "d.parquet")
    holidays, early = calendar_sets()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("trades", with_t(trades))
    con.register("holidays", pa.table({"d": pa.array(holidays).cast(pa.date32())}))
    con.register("early", pa.table({"d": pa.array([d for d, _ in early]).cast(pa.date32()),
                                    "close": [c for _, c in early]}))
    lo, hi = ("09:30", "coalesce(e.close, '16:00')") if sessions == "regular" else \
        ("04:00", "'20:00'")
    expected = fetch(con, f"""
        WITH local AS (
          SELECT *, timezone('America/New_York',
                             make_timestamp(t // 1000) AT TIME ZONE 'UTC') AS lt
          FROM trades),
        days AS (
          SELECT l.*, CAST(lt AS DATE) AS d FROM local l)
        SELECT CAST(symbol AS VARCHAR) AS symbol,
               epoch_ns(timezone('America/New_York', CAST(days.d AS TIMESTAMP))) AS ts,
               arg_min(price, (t, rn)) AS open, max(price) AS high, min(price) AS low,
               arg_max(price, (t, rn)) AS close, sum(size)::BIGINT AS volume,
               count(*)::BIGINT AS trade_count, sum(price * size) / sum(size) AS vwap
        FROM days LEFT JOIN early e ON e.d = days.d
        WHERE dayofweek(days.d) NOT IN (0, 6)
          AND days.d NOT IN (SELECT d FROM holidays)
          AND strftime(lt, '%H:%M') >= '{lo}' AND strftime(lt, '%H:%M') < {hi}
        GROUP BY ALL ORDER BY symbol, ts""")
    assert_rows(ours, expected, BAR_EXACT, ["vwap"])
    days = sorted({t // NS for t in ours["ts"].cast(pa.int64()).to_pylist()})
    # Mar 7, 8, 11, 12 + Oct 31, Nov 1, 4 + Nov 26, 27, 29, Dec 2 (weekends, Thanksgiving
    # dropped; Nov 29 cut at 13:00 for the regular session).
    assert len(days) == 11


def make_quotes(n=40000, seed=3) -> pa.Table:
    rng = np.random.default_rng(seed)
    lo, hi = ns("2024-03-11T13:00:00Z"), ns("2024-03-11T14:00:00Z")
    t = rng.integers(lo, hi, n, dtype=np.int64)
    dup = rng.random(n) < 0.1
    t[dup] = t[rng.integers(0, n, int(dup.sum()))]
    syms = np.array(["A", "B", "C"])[rng.integers(0, 3, n)]
    bid = np.round(50 + rng.normal(0, 1, n), 2)
    ask = bid + rng.integers(1, 6, n) * 0.01  # many equal spreads -> ties
    order = rng.permutation(n)
    return pa.table({
        "ts": pa.array(t[order], pa.timestamp("ns", "UTC")),
        "symbol": pa.array(syms[order]),
        "bid": pa.array(bid[order]), "ask": pa.array(ask[order]),
        "bid_size": pa.array(rng.integers(1, 9, n, dtype=np.int64)),
        "ask_size": pa.array(rng.integers(1, 9, n, dtype=np.int64)),
        "rn": pa.array(np.arange(n, dtype=np.int64)),
    })


@pytest.mark.parametrize("interval,interval_ns", [("1s", NS), ("1m", 60 * NS)])
def test_quote_sampling_matches_duckdb(tool, tmp_path, interval, interval_ns):
    quotes = make_quotes()
    pq.write_table(quotes, tmp_path / "q.parquet")
    con = duckdb.connect()
    con.register("quotes", with_t(quotes))
    base = f"""
        WITH q AS (
          SELECT *, ask - bid AS spread, (t // {interval_ns}) * {interval_ns} AS b,
                 lead(t) OVER (PARTITION BY symbol ORDER BY t, rn) AS nt FROM quotes),
        w AS (SELECT *, (least(coalesce(nt, b + {interval_ns}), b + {interval_ns}) - t)::DOUBLE
                          AS wt FROM q)
        SELECT symbol, b AS ts, {{pick}} AS p, count(*)::BIGINT AS quote_count,
               sum(wt * spread) / sum(wt) AS twa_spread,
               sum(wt * ((bid + ask) * 0.5)) / sum(wt) AS twa_mid
        FROM w GROUP BY ALL ORDER BY symbol, ts"""
    for flag, pick in [([], "arg_min((t, bid, ask, bid_size, ask_size), (spread, t, rn))"),
                       (["--last"], "arg_max((t, bid, ask, bid_size, ask_size), (t, rn))")]:
        run(tool, "quotes", tmp_path / "q.parquet", tmp_path / "s.parquet", "--interval",
            interval, *flag)
        ours = pq.read_table(tmp_path / "s.parquet")
        exp = fetch(con, base.format(pick=pick))
        p = exp["p"].combine_chunks()
        exp = pa.table({"symbol": exp["symbol"], "ts": exp["ts"],
                        "quote_ts": p.field(0), "bid": p.field(1), "ask": p.field(2),
                        "bid_size": p.field(3), "ask_size": p.field(4),
                        "quote_count": exp["quote_count"], "twa_spread": exp["twa_spread"],
                        "twa_mid": exp["twa_mid"]})
        assert_rows(ours, exp, ["symbol", "ts", "quote_ts", "bid", "ask", "bid_size",
                                "ask_size", "quote_count"], ["twa_spread", "twa_mid"])


@pytest.mark.parametrize("tolerance_ns", [None, 0, 2 * NS, 60 * NS])
def test_asof_join_matches_duckdb(tool, tmp_path, tolerance_ns):
    trades = make_trades(n=30000, seed=21).drop_columns(["rn"])
    rng = np.random.default_rng(4)
    quotes = make_quotes(n=20000, seed=8).drop_columns(["rn"])
    # Right rows unique per (symbol, ts) so DuckDB's pick among equal times is not at stake;
    # include symbols the trades lack and lack one they have.
    quotes = quotes.filter(pc.not_equal(quotes["symbol"], "C"))
    quotes = quotes.set_column(1, "symbol", pc.replace_substring(
        pc.replace_substring(quotes["symbol"], "A", "AAPL"), "B", "MSFT"))
    qt = quotes.group_by(["symbol", "ts"]).aggregate([("bid", "min")])
    quotes = quotes.join(qt, ["symbol", "ts"]).filter(
        pc.equal(pc.field("bid"), pc.field("bid_min"))).drop_columns(["bid_min"])
    quotes = quotes.group_by(["symbol", "ts"], use_threads=False).aggregate(
        [("bid", "first"), ("ask", "first"), ("bid_size", "first"), ("ask_size", "first")]
    ).rename_columns(["symbol", "ts", "bid", "ask", "bid_size", "ask_size"])
    # Trades in the quotes' hour so that most rows match.
    t = rng.integers(ns("2024-03-11T12:59:00Z"), ns("2024-03-11T14:01:00Z"), trades.num_rows,
                     dtype=np.int64)
    trades = trades.set_column(0, "ts", pa.array(t, pa.timestamp("ns", "UTC")))
    pq.write_table(trades, tmp_path / "l.parquet")
    pq.write_table(quotes, tmp_path / "r.parquet")
    args = ["asof", tmp_path / "l.parquet", tmp_path / "r.parquet", tmp_path / "o.parquet"]
    if tolerance_ns is not None:
        args += ["--tolerance-ns", tolerance_ns]
    run(tool, *args)
    ours = pq.read_table(tmp_path / "o.parquet")
    assert ours.column_names == ["ts", "symbol", "price", "size", "right_ts", "bid", "ask",
                                 "bid_size", "ask_size"]
    con = duckdb.connect()
    con.register("l", with_t(trades).append_column("i", pa.array(np.arange(trades.num_rows))))
    con.register("r", with_t(quotes))
    ok = "TRUE" if tolerance_ns is None else f"l.t - r.t <= {tolerance_ns}"
    exp = fetch(con, f"""
        SELECT l.t AS ts, CAST(l.symbol AS VARCHAR) AS symbol, l.price, l.size,
               CASE WHEN {ok} THEN r.t END AS right_ts,
               CASE WHEN {ok} THEN r.bid END AS bid, CASE WHEN {ok} THEN r.ask END AS ask,
               CASE WHEN {ok} THEN r.bid_size END AS bid_size,
               CASE WHEN {ok} THEN r.ask_size END AS ask_size
        FROM l ASOF LEFT JOIN r ON CAST(l.symbol AS VARCHAR) = r.symbol AND l.t >= r.t
        ORDER BY l.i""")
    assert_rows(ours, exp, ours.column_names)
    misses = ours["bid"].null_count
    assert misses > 0  # SPY, TSLA, Z have no quotes; early trades precede every quote
    if tolerance_ns != 0:
        assert misses < ours.num_rows - 5000


def test_sessions_match_duckdb(tool, tmp_path):
    trades = make_trades(n=30000, seed=2)
    pq.write_table(trades, tmp_path / "t.parquet")
    run(tool, "sessions", tmp_path / "t.parquet", tmp_path / "s.parquet")
    ours = pq.read_table(tmp_path / "s.parquet")
    holidays, early = calendar_sets()
    con = duckdb.connect()
    con.register("s", with_t(ours).append_column("i", pa.array(np.arange(ours.num_rows))))
    con.register("holidays", pa.table({"d": pa.array(holidays).cast(pa.date32())}))
    con.register("early", pa.table({"d": pa.array([d for d, _ in early]).cast(pa.date32()),
                                    "close": [c for _, c in early]}))
    exp = fetch(con, """
        WITH x AS (SELECT i, session, timezone('America/New_York',
                          make_timestamp(t // 1000) AT TIME ZONE 'UTC') AS lt FROM s),
        y AS (SELECT x.*, strftime(lt, '%H:%M') AS hm, CAST(lt AS DATE) AS d FROM x)
        SELECT CASE
          WHEN dayofweek(y.d) IN (0, 6) OR y.d IN (SELECT d FROM holidays) THEN 0
          WHEN hm < '04:00' THEN 0 WHEN hm < '09:30' THEN 1
          WHEN hm < coalesce(e.close, '16:00') THEN 2 WHEN hm < '20:00' THEN 3 ELSE 0
          END::TINYINT AS session
        FROM y LEFT JOIN early e ON e.d = y.d ORDER BY i""")
    assert ours["session"].to_pylist() == exp["session"].to_pylist()
