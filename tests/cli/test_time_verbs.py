"""bars, sample-quotes, asof and calendar against DuckDB on the same lake data.

Lakes are built with `marketlake import`; each verb's output (Parquet) is compared row for
row with DuckDB's integer bucketing / time_bucket, arg_min / arg_max, ASOF JOIN and New York
days from timezone(), over DST weeks (March and November), Thanksgiving and the 2024-11-29
early close.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from cli_util import fails, ok

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
duckdb = pytest.importorskip("duckdb")

REPO = Path(__file__).resolve().parents[2]
NS = 1_000_000_000
WINDOWS = [("2024-03-07T08:00:00Z", "2024-03-13T01:00:00Z"),
           ("2024-10-31T08:00:00Z", "2024-11-05T01:00:00Z"),
           ("2024-11-26T08:00:00Z", "2024-12-03T01:00:00Z")]
BAR_EXACT = ["symbol", "ts", "open", "high", "low", "close", "volume", "trade_count"]


def ns(text: str) -> int:
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()) * NS


def make_trades(n=30000, seed=5) -> pa.Table:
    """Unsorted trades over the three windows; (symbol, ts) unique so that ties do not depend
    on the order rows land in the lake."""
    rng = np.random.default_rng(seed)
    t = np.concatenate([rng.integers(ns(lo), ns(hi), n // 3, dtype=np.int64)
                        for lo, hi in WINDOWS])
    syms = np.array(["AAPL", "MSFT", "SPY", "Z"])[rng.integers(0, 4, len(t))]
    order = np.lexsort((t, syms))
    t, syms = t[order], syms[order]
    uniq = np.ones(len(t), bool)
    uniq[1:] = ~((t[1:] == t[:-1]) & (syms[1:] == syms[:-1]))
    t, syms = t[uniq], syms[uniq]
    perm = rng.permutation(len(t))
    t, syms = t[perm], syms[perm]
    return pa.table({
        "ts": pa.array(t, pa.timestamp("ns", "UTC")),
        "symbol": pa.array(syms),
        "price": pa.array(np.round(100 + rng.normal(0, 5, len(t)), 2)),
        "size": pa.array(rng.integers(1, 500, len(t), dtype=np.int64)),
    })


def make_quotes(n=30000, seed=3) -> pa.Table:
    rng = np.random.default_rng(seed)
    t = rng.integers(ns("2024-03-11T13:00:00Z"), ns("2024-03-11T15:00:00Z"), n, dtype=np.int64)
    syms = np.array(["AAPL", "MSFT", "QQQ"])[rng.integers(0, 3, n)]
    order = np.lexsort((t, syms))
    t, syms = t[order], syms[order]
    uniq = np.ones(n, bool)
    uniq[1:] = ~((t[1:] == t[:-1]) & (syms[1:] == syms[:-1]))
    t, syms = t[uniq], syms[uniq]
    m = len(t)
    bid = np.round(50 + rng.normal(0, 1, m), 2)
    ask = np.round(bid + rng.integers(1, 6, m) * 0.01, 2)  # many equal spreads: ties
    perm = rng.permutation(m)
    return pa.table({
        "ts": pa.array(t[perm], pa.timestamp("ns", "UTC")),
        "symbol": pa.array(syms[perm]),
        "bid": pa.array(bid[perm]), "ask": pa.array(ask[perm]),
        "bid_size": pa.array(rng.integers(1, 9, m, dtype=np.int64)),
        "ask_size": pa.array(rng.integers(1, 9, m, dtype=np.int64)),
    })


def import_table(bin_path, tmp: Path, lake: Path, table: pa.Table, kind: str, name: str):
    path = tmp / f"{name}.parquet"
    pq.write_table(table, path)
    ok(bin_path, "import", path, "--lake", lake, "--type", kind, "--no-dedup")


def run_to_parquet(bin_path, tmp: Path, *args) -> pa.Table:
    out = tmp / "out.parquet"
    if out.exists():
        out.unlink()
    ok(bin_path, *args, "--format", "parquet", "--out", out)
    return pq.read_table(out)


def last_commit(lake: Path, dataset: str) -> dict:
    """The newest log entry of `dataset`."""
    logs = sorted((lake / "_marketlake" / dataset / "_log").glob("*.json"))
    return json.loads(logs[-1].read_text())


def rows(table: pa.Table, cols) -> list:
    out = []
    for c in cols:
        col = table[c]
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.int64())
        if pa.types.is_dictionary(col.type):
            col = col.cast(pa.string())
        out.append(col.to_pylist())
    return list(zip(*out))


def assert_same(actual: pa.Table, expected: pa.Table, exact, approx=(), rel=1e-9):
    assert actual.num_rows == expected.num_rows, (actual.num_rows, expected.num_rows)
    for i, (x, y) in enumerate(zip(rows(actual, exact), rows(expected, exact))):
        assert x == y, f"row {i}: {x} != {y}"
    for c in approx:
        for i, (x, y) in enumerate(zip(actual[c].to_pylist(), expected[c].to_pylist())):
            if x is None or y is None:
                assert x is None and y is None, f"{c} row {i}: {x} vs {y}"
            else:
                assert abs(x - y) <= rel * max(abs(y), 1e-300), f"{c} row {i}: {x} vs {y}"


def with_t(table: pa.Table) -> pa.Table:
    return table.append_column("t", table["ts"].cast(pa.int64()))


def calendar_sets():
    holidays, early = [], []
    with open(REPO / "data/calendars/us_equities.csv") as f:
        for row in csv.reader(line for line in f if not line.startswith("#")):
            if row and row[0] == "holiday":
                holidays.append(row[1])
            elif row and row[0] == "early_close":
                early.append((row[1], row[2]))
    return holidays, early


def duck_with_calendar(trades: pa.Table):
    holidays, early = calendar_sets()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("trades", with_t(trades))
    con.register("holidays", pa.table({"d": pa.array(holidays).cast(pa.date32())}))
    con.register("early", pa.table({"d": pa.array([d for d, _ in early]).cast(pa.date32()),
                                    "close": [c for _, c in early]}))
    con.execute("""
        CREATE VIEW local AS
        WITH x AS (SELECT *, timezone('America/New_York',
                                      make_timestamp(t // 1000) AT TIME ZONE 'UTC') AS lt
                   FROM trades),
        y AS (SELECT x.*, CAST(lt AS DATE) AS d, strftime(lt, '%H:%M') AS hm FROM x)
        SELECT y.*, coalesce(e.close, '16:00') AS close_hm,
               dayofweek(y.d) NOT IN (0, 6) AND y.d NOT IN (SELECT d FROM holidays)
                   AS trading
        FROM y LEFT JOIN early e ON e.d = y.d""")
    return con


SESSION_SQL = {
    "regular": "trading AND hm >= '09:30' AND hm < close_hm",
    "extended": "trading AND hm >= '04:00' AND hm < '20:00'",
    "all": "trading",
}


@pytest.fixture(scope="module")
def trades_lake(marketlake_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("time_verbs")
    trades = make_trades()
    import_table(marketlake_bin, tmp, tmp / "lake", trades, "trades", "trades")
    return tmp, tmp / "lake", trades


@pytest.mark.parametrize("interval,interval_ns", [("1m", 60 * NS), ("7m", 420 * NS),
                                                  ("1h", 3600 * NS)])
def test_intraday_bars_match_duckdb(marketlake_bin, trades_lake, interval, interval_ns):
    tmp, lake, trades = trades_lake
    ours = run_to_parquet(marketlake_bin, tmp, "bars", "--lake", lake, "--interval", interval)
    con = duckdb.connect()
    con.register("trades", with_t(trades))
    exp = con.sql(f"""
        SELECT symbol, (t // {interval_ns}) * {interval_ns} AS ts,
               arg_min(price, t) AS open, max(price) AS high, min(price) AS low,
               arg_max(price, t) AS close, sum(size)::BIGINT AS volume,
               count(*)::BIGINT AS trade_count, sum(price * size) / sum(size) AS vwap
        FROM trades GROUP BY ALL ORDER BY symbol, ts""").to_arrow_table()
    assert_same(ours, exp, BAR_EXACT, ["vwap"])


def test_time_bucket_and_regular_session_filter(marketlake_bin, trades_lake):
    tmp, lake, trades = trades_lake
    ours = run_to_parquet(marketlake_bin, tmp, "bars", "--lake", lake, "--interval", "5m",
                          "--session", "regular", "--symbol", "AAPL,SPY")
    con = duck_with_calendar(trades)
    exp = con.sql(f"""
        SELECT symbol, epoch_ns(time_bucket(INTERVAL '5 minutes', make_timestamp(t // 1000)))
                   AS ts,
               arg_min(price, t) AS open, max(price) AS high, min(price) AS low,
               arg_max(price, t) AS close, sum(size)::BIGINT AS volume,
               count(*)::BIGINT AS trade_count
        FROM local WHERE {SESSION_SQL['regular']} AND symbol IN ('AAPL', 'SPY')
        GROUP BY ALL ORDER BY symbol, ts""").to_arrow_table()
    assert_same(ours, exp, BAR_EXACT)


@pytest.mark.parametrize("session", ["regular", "extended", "all"])
def test_daily_bars_dst_holiday_early_close(marketlake_bin, trades_lake, session):
    tmp, lake, trades = trades_lake
    args = ["bars", "--lake", lake, "--interval", "1d"]
    if session != "regular":  # regular is the default for daily bars
        args += ["--session", session]
    ours = run_to_parquet(marketlake_bin, tmp, *args)
    con = duck_with_calendar(trades)
    exp = con.sql(f"""
        SELECT symbol, epoch_ns(timezone('America/New_York', CAST(d AS TIMESTAMP))) AS ts,
               arg_min(price, t) AS open, max(price) AS high, min(price) AS low,
               arg_max(price, t) AS close, sum(size)::BIGINT AS volume,
               count(*)::BIGINT AS trade_count, sum(price * size) / sum(size) AS vwap
        FROM local WHERE {SESSION_SQL[session]} GROUP BY ALL ORDER BY symbol, ts
        """).to_arrow_table()
    assert_same(ours, exp, BAR_EXACT, ["vwap"])
    starts = sorted({t // NS for t in ours["ts"].cast(pa.int64()).to_pylist()})
    # Local midnight: 05:00Z before the March switch and after the November one, else 04:00Z.
    assert ns("2024-03-08T05:00:00Z") // NS in starts
    assert ns("2024-03-11T04:00:00Z") // NS in starts
    assert ns("2024-11-01T04:00:00Z") // NS in starts
    assert ns("2024-11-04T05:00:00Z") // NS in starts
    assert ns("2024-11-28T05:00:00Z") // NS not in starts  # Thanksgiving
    assert ns("2024-11-29T05:00:00Z") // NS in starts  # early close


def test_fill_and_tz_output(marketlake_bin, trades_lake):
    tmp, lake, trades = trades_lake
    base = ["bars", "--lake", lake, "--interval", "1m", "--symbol", "Z", "--from",
            "2024-03-11T13:00:00Z", "--to", "2024-03-11T16:00:00Z"]
    plain = run_to_parquet(marketlake_bin, tmp, *base)
    filled = run_to_parquet(marketlake_bin, tmp, *base, "--fill")
    ts = plain["ts"].cast(pa.int64()).to_pylist()
    expected_rows = (ts[-1] - ts[0]) // (60 * NS) + 1
    assert filled.num_rows == expected_rows > plain.num_rows
    by_ts = dict(zip(ts, plain["close"].to_pylist()))
    prev = None
    for t, o, c, v, k, vw in rows(filled, ["ts", "open", "close", "volume", "trade_count",
                                           "vwap"]):
        if t in by_ts:
            prev = by_ts[t]
            assert k > 0
        else:
            assert (o, c, v, k, vw) == (prev, prev, 0, 0, None)
    # --tz: text output in New York time, offsets across the DST switch.
    p = ok(marketlake_bin, "bars", "--lake", lake, "--interval", "1d", "--symbol", "AAPL",
           "--format", "csv", "--tz", "America/New_York", "--from", "2024-03-08",
           "--to", "2024-03-12")
    text = p.stdout.decode()
    assert '"2024-03-08T00:00:00-05:00"' in text
    assert '"2024-03-11T00:00:00-04:00"' in text


def test_write_replaces_after_late_ticks(marketlake_bin, tmp_path):
    trades = make_trades(n=12000, seed=9)
    lake = tmp_path / "lake"
    # Most trades first; a late batch for the same days arrives afterwards.
    late_mask = np.random.default_rng(1).random(trades.num_rows) < 0.1
    import_table(marketlake_bin, tmp_path, lake, trades.filter(pa.array(~late_mask)), "trades",
                 "early")
    first = json.loads(ok(marketlake_bin, "bars", "--lake", lake, "--interval", "1m", "--write",
                          "--json").stdout)
    assert first["dataset"] == "bars_1m" and first["source_version"] == 1
    assert {p["partition"] for p in first["partitions"]} >= {"year=2024/month=03",
                                                              "year=2024/month=11"}
    import_table(marketlake_bin, tmp_path, lake, trades.filter(pa.array(late_mask)), "trades",
                 "late")
    for _ in range(2):  # re-aggregation, twice: replaced, never added to
        ok(marketlake_bin, "bars", "--lake", lake, "--interval", "1m", "--write")
    written = run_to_parquet(marketlake_bin, tmp_path, "read", "bars_1m", "--lake", lake)
    scratch = run_to_parquet(marketlake_bin, tmp_path, "bars", "--lake", lake, "--interval",
                             "1m")
    assert written.num_rows == scratch.num_rows
    assert_same(written, scratch, BAR_EXACT + ["vwap", "notional"])
    # The log says what replaced what, from which source version.
    last = last_commit(lake, "bars_1m")
    assert last["operation"] == "replace"
    assert last["parameters"]["interval"] == "1m"
    assert last["parameters"]["source_version"] == "2"
    assert last["lineage"] == ["trades@2"]
    assert last["remove"]
    # Bars from the written bars: daily bars equal daily bars from the trades.
    d_bars = run_to_parquet(marketlake_bin, tmp_path, "bars", "--lake", lake, "--from-dataset",
                            "bars_1m", "--interval", "1d")
    d_trades = run_to_parquet(marketlake_bin, tmp_path, "bars", "--lake", lake, "--interval",
                              "1d")
    assert_same(d_bars, d_trades, BAR_EXACT, ["vwap"], rel=1e-12)
    # Another session into the same dataset is refused.
    fails(marketlake_bin, "bars", "--lake", lake, "--interval", "1m", "--session", "regular",
          "--write", code=2, category="invalid argument")


@pytest.fixture(scope="module")
def quotes_lake(marketlake_bin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quotes")
    quotes = make_quotes()
    import_table(marketlake_bin, tmp, tmp / "lake", quotes, "quotes", "quotes")
    return tmp, tmp / "lake", quotes


@pytest.mark.parametrize("keep", ["tightest", "last"])
def test_sample_quotes_match_duckdb(marketlake_bin, quotes_lake, keep):
    tmp, lake, quotes = quotes_lake
    ours = run_to_parquet(marketlake_bin, tmp, "sample-quotes", "--lake", lake, "--interval",
                          "1s", "--keep", keep)
    pick = ("arg_min((t, bid, ask), (spread, t))" if keep == "tightest"
            else "arg_max((t, bid, ask), t)")
    con = duckdb.connect()
    con.register("quotes", with_t(quotes))
    exp = con.sql(f"""
        WITH q AS (SELECT *, ask - bid AS spread, (t // {NS}) * {NS} AS b,
                          lead(t) OVER (PARTITION BY symbol ORDER BY t) AS nt FROM quotes),
        w AS (SELECT *, (least(coalesce(nt, b + {NS}), b + {NS}) - t)::DOUBLE AS wt FROM q)
        SELECT symbol, b AS ts, {pick} AS p, count(*)::BIGINT AS quote_count,
               sum(wt * spread) / sum(wt) AS twa_spread,
               sum(wt * ((bid + ask) * 0.5)) / sum(wt) AS twa_mid
        FROM w GROUP BY ALL ORDER BY symbol, ts""").to_arrow_table()
    p = exp["p"].combine_chunks()
    exp = pa.table({"symbol": exp["symbol"], "ts": exp["ts"], "quote_ts": p.field(0),
                    "bid": p.field(1), "ask": p.field(2), "quote_count": exp["quote_count"],
                    "twa_spread": exp["twa_spread"], "twa_mid": exp["twa_mid"]})
    assert_same(ours, exp, ["symbol", "ts", "quote_ts", "bid", "ask", "quote_count"],
                ["twa_spread", "twa_mid"])


def test_sample_quotes_write_twice_equals_streamed(marketlake_bin, tmp_path):
    """--write stores exactly what sample-quotes streams; writing again replaces, and the
    commit records its parameters and source; another --keep into it is refused."""
    lake = tmp_path / "lake"
    import_table(marketlake_bin, tmp_path, lake, make_quotes(), "quotes", "quotes")
    for _ in range(2):
        r = json.loads(ok(marketlake_bin, "sample-quotes", "--lake", lake, "--interval", "1s",
                          "--keep", "tightest", "--write", "--json").stdout)
        assert r["dataset"] == "quotes_1s" and r["source_version"] == 1
    written = run_to_parquet(marketlake_bin, tmp_path, "read", "quotes_1s", "--lake", lake)
    streamed = run_to_parquet(marketlake_bin, tmp_path, "sample-quotes", "--lake", lake,
                              "--interval", "1s", "--keep", "tightest")
    cols = ["symbol", "ts", "quote_ts", "bid", "ask", "quote_count"]
    assert_same(written, streamed, cols, ["twa_spread", "twa_mid"])
    last = last_commit(lake, "quotes_1s")
    assert last["operation"] == "replace"
    assert last["parameters"]["keep"] == "tightest"
    assert last["parameters"]["from_dataset"] == "quotes"
    assert last["lineage"] == ["quotes@1"]
    fails(marketlake_bin, "sample-quotes", "--lake", lake, "--interval", "1s", "--keep", "last",
          "--write", code=2, category="invalid argument")
    fails(marketlake_bin, "sample-quotes", "--lake", lake, "--interval", "1s", "--symbol",
          "AAPL", "--write", code=2, category="invalid argument")


def test_columns_choose_the_output(marketlake_bin, quotes_lake, trades_lake):
    """--columns gives exactly those columns of the full output, in that order; a name the
    output lacks, a name given twice, and --columns with --write are refused."""
    tmp, lake, _ = quotes_lake
    full = run_to_parquet(marketlake_bin, tmp, "sample-quotes", "--lake", lake)
    for cols in (["symbol", "ts", "quote_ts", "bid", "ask", "bid_size", "ask_size",
                  "quote_count"], ["twa_mid", "symbol"], ["ask_size"]):
        got = run_to_parquet(marketlake_bin, tmp, "sample-quotes", "--lake", lake,
                             "--columns", ",".join(cols))
        assert got.column_names == cols
        assert got.equals(full.select(cols))
    line = fails(marketlake_bin, "sample-quotes", "--lake", lake, "--columns", "symbol,mid",
                 code=3, category="not found")
    assert line.endswith("--columns: no output column 'mid' (have: symbol, ts, quote_ts, bid, "
                         "ask, bid_size, ask_size, spread, quote_count, twa_spread, twa_mid)")
    line = fails(marketlake_bin, "sample-quotes", "--lake", lake, "--columns", "bid,ts,bid",
                 code=2, category="invalid argument")
    assert line.endswith("--columns: 'bid' given twice")
    line = fails(marketlake_bin, "sample-quotes", "--lake", lake, "--columns", "bid", "--write",
                 code=2, category="invalid argument")
    assert line.endswith("--columns: not with --write (a derived dataset keeps every column)")

    ttmp, tlake, _ = trades_lake
    bars = run_to_parquet(marketlake_bin, ttmp, "bars", "--lake", tlake, "--interval", "1m")
    got = run_to_parquet(marketlake_bin, ttmp, "bars", "--lake", tlake, "--interval", "1m",
                         "--columns", "close,symbol,ts")
    assert got.equals(bars.select(["close", "symbol", "ts"]))
    fails(marketlake_bin, "bars", "--lake", tlake, "--interval", "1m", "--columns", "price",
          code=3, category="not found")
    fails(marketlake_bin, "bars", "--lake", tlake, "--interval", "1m", "--columns", "ts",
          "--write", code=2, category="invalid argument")
    line = fails(marketlake_bin, "asof", "quotes", "quotes", "--lake", lake, "--columns",
                 "symbol,symbol", code=2, category="invalid argument")
    assert line.endswith("--columns: 'symbol' given twice")


@pytest.mark.parametrize("tolerance", [None, "2s"])
def test_asof_matches_duckdb(marketlake_bin, quotes_lake, tolerance):
    tmp, lake, quotes = quotes_lake
    rng = np.random.default_rng(4)
    n = 8000
    t = rng.integers(ns("2024-03-11T12:59:00Z"), ns("2024-03-11T15:01:00Z"), n, dtype=np.int64)
    trades = pa.table({"ts": pa.array(t, pa.timestamp("ns", "UTC")),
                       "symbol": pa.array(np.array(["AAPL", "MSFT", "Z"])[rng.integers(0, 3, n)]),
                       "price": pa.array(np.round(50 + rng.normal(0, 1, n), 2)),
                       "size": pa.array(rng.integers(1, 100, n, dtype=np.int64))})
    tlake = tmp / f"asof_{tolerance}"
    import_table(marketlake_bin, tmp, tlake, trades, "trades", f"t_{tolerance}")
    import_table(marketlake_bin, tmp, tlake, quotes, "quotes", f"q_{tolerance}")
    cols = ["symbol", "ts", "price", "size", "right_ts", "bid", "ask"]
    args = ["asof", "trades", "quotes", "--lake", tlake, "--columns", ",".join(cols)]
    if tolerance:
        args += ["--tolerance", tolerance]
    ours = run_to_parquet(marketlake_bin, tmp, *args)
    con = duckdb.connect()
    con.register("l", with_t(trades))
    con.register("r", with_t(quotes))
    okc = "TRUE" if tolerance is None else f"l.t - r.t <= {2 * NS}"
    exp = con.sql(f"""
        SELECT l.symbol, l.t AS ts, l.price, l.size, CASE WHEN {okc} THEN r.t END AS right_ts,
               CASE WHEN {okc} THEN r.bid END AS bid, CASE WHEN {okc} THEN r.ask END AS ask
        FROM l ASOF LEFT JOIN r ON l.symbol = r.symbol AND l.t >= r.t
        ORDER BY l.symbol, l.t, l.price, l.size""").to_arrow_table()
    # Equal (symbol, ts) trades may come in any order from the lake: compare sorted rows.
    assert sorted(rows(ours, cols), key=repr) == sorted(rows(exp, cols), key=repr)
    assert ours["bid"].null_count > n // 4  # Z has no quotes


def test_calendar_2024(marketlake_bin):
    out = json.loads(ok(marketlake_bin, "calendar", "--year", "2024", "--json").stdout)
    assert out["time_zone"] == "America/New_York"
    assert out["holidays"] == ["2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29",
                               "2024-05-27", "2024-06-19", "2024-07-04", "2024-09-02",
                               "2024-11-28", "2024-12-25"]
    assert out["early_closes"] == [{"date": "2024-07-03", "close": "13:00"},
                                   {"date": "2024-11-29", "close": "13:00"},
                                   {"date": "2024-12-24", "close": "13:00"}]
    assert out["trading_days"] == 252
    assert out["sessions"] == {"pre_open": "04:00", "open": "09:30", "close": "16:00",
                               "after_hours_end": "20:00"}
    days = {d["date"]: d for d in out["days"]}
    assert days["2024-03-08"]["open_utc"] == "2024-03-08T14:30:00Z"
    assert days["2024-03-11"]["open_utc"] == "2024-03-11T13:30:00Z"
    assert days["2024-11-29"]["close_utc"] == "2024-11-29T18:00:00Z"
    assert days["2024-11-29"]["early_close"] is True
    assert "2024-11-28" not in days and "2024-03-09" not in days
    text = ok(marketlake_bin, "calendar", "--year", "2024").stdout.decode()
    assert "2024-11-29  Fri  09:30-13:00 early close" in text
