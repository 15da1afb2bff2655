#!/usr/bin/env python3
"""Time verbs: marketlake vs DuckDB vs Polars on the same lake files. A benchmark, not a test.

    .venv/bin/python bench/time_bench.py                 # 10M trades, 20M quotes, 9.3M quotes
    .venv/bin/python bench/time_bench.py --scale 0.1     # a tenth of every size (quicker)
    .venv/bin/python bench/time_bench.py --scale 0.01 --runs 1 --no-readme   # smoke run

Data (bench/out/time/, gitignored): `marketlake generate` trades (100 symbols, 5 days) and
quotes (100 symbols, same days) imported into a lake with `marketlake import`, and one
symbol's month of quotes (`generate quotes --symbols 1 --days 21`) as CSV. Jobs, each writing
zstd Parquet (all three tools; DuckDB's own default would be snappy); median of --runs whole-process runs (peers: a fresh `python -c`, imports included,
reading the lake's Parquet files directly). Every tool computes and writes the same columns:
  bars:     trades -> 1m bars (open/high/low/close/volume/count/vwap per symbol and minute;
            marketlake's --columns leaves out its notional column)
  quotes1s: quotes -> one quote per symbol and second, tightest spread (ties: earliest): the
            interval, the chosen quote's ts, bid, ask and sizes, and the quote count
            (marketlake's --columns leaves out its extra spread and time-weighted columns)
  csv2pq:   the one-symbol month of quotes, CSV -> Parquet
  asof:     each trade with the quote in force (same symbol, at or before)
Ratios are faster peer / marketlake: above 1 means marketlake is faster.
Results go to stdout and, unless --no-readme, to the "## Time" section of bench/README.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
OUT = ROOT / "bench/out/time"


def sh(cmd):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr}")
    return p


def timed(cmd) -> float:
    t0 = time.perf_counter()
    sh(cmd)
    return time.perf_counter() - t0


def duck(sql: str) -> list:
    return [PY, "-c", "import duckdb\ncon = duckdb.connect()\ncon.execute(\"SET TimeZone='UTC'\")\n"
            f"con.execute({sql!r})"]


def polars(body: str) -> list:
    return [PY, "-c", "import polars as pl\n" + body]


def jobs(ml: Path, f: dict) -> dict:
    t, q, lake = f["trades_glob"], f["quotes_glob"], f["lake"]
    o = OUT / "results"
    o.mkdir(parents=True, exist_ok=True)
    return {
        "bars": {
            "marketlake": [ml, "-q", "bars", "--lake", lake, "--interval", "1m", "--columns",
                           "symbol,ts,open,high,low,close,volume,trade_count,vwap", "--format",
                           "parquet", "--out", o / "ml_bars.parquet"],
            "duckdb": duck(f"""COPY (SELECT symbol, (epoch_ns(ts) // 60000000000) * 60000000000 AS ts,
                arg_min(price, ts) AS open, max(price) AS high, min(price) AS low,
                arg_max(price, ts) AS close, sum(size) AS volume, count(*) AS trade_count,
                sum(price * size) / sum(size) AS vwap
                FROM read_parquet('{t}') GROUP BY ALL ORDER BY symbol, ts)
                TO '{o}/duck_bars.parquet' (FORMAT parquet, COMPRESSION zstd)"""),
            "polars": polars(f"""(pl.scan_parquet('{t}').select('symbol', 'ts', 'price', 'size')
  .sort('symbol', 'ts').group_by('symbol', pl.col('ts').dt.truncate('1m'), maintain_order=True)
  .agg(open=pl.col('price').first(), high=pl.col('price').max(), low=pl.col('price').min(),
       close=pl.col('price').last(), volume=pl.col('size').sum(), trade_count=pl.len(),
       vwap=(pl.col('price') * pl.col('size')).sum() / pl.col('size').sum())
  .sink_parquet('{o}/pl_bars.parquet'))"""),
        },
        "quotes1s": {
            "marketlake": [ml, "-q", "sample-quotes", "--lake", lake, "--interval", "1s",
                           "--keep", "tightest", "--columns",
                           "symbol,ts,quote_ts,bid,ask,bid_size,ask_size,quote_count",
                           "--format", "parquet", "--out", o / "ml_q1s.parquet"],
            "duckdb": duck(f"""COPY (SELECT symbol, (epoch_ns(ts) // 1000000000) * 1000000000 AS b,
                arg_min((ts, bid, ask, bid_size, ask_size), (ask - bid, ts)) AS q,
                count(*) AS quote_count
                FROM read_parquet('{q}') GROUP BY ALL ORDER BY symbol, b)
                TO '{o}/duck_q1s.parquet' (FORMAT parquet, COMPRESSION zstd)"""),
            "polars": polars(f"""(pl.scan_parquet('{q}')
  .select('symbol', 'ts', 'bid', 'ask', 'bid_size', 'ask_size')
  .with_columns(spread=pl.col('ask') - pl.col('bid'), b=pl.col('ts').dt.truncate('1s'))
  .sort('symbol', 'b', 'spread', 'ts')
  .group_by('symbol', 'b', maintain_order=True)
  .agg(pl.col('ts', 'bid', 'ask', 'bid_size', 'ask_size').first(), quote_count=pl.len())
  .sink_parquet('{o}/pl_q1s.parquet'))"""),
        },
        "csv2pq": {
            "marketlake": [ml, "-q", "convert", f["one_csv"], o / "ml_one.parquet"],
            "duckdb": duck(f"""COPY (SELECT * FROM read_csv('{f['one_csv']}', header=true,
                types={{'ts': 'TIMESTAMPTZ_NS'}})) TO '{o}/duck_one.parquet'
                (FORMAT parquet, COMPRESSION zstd)"""),
            "polars": polars(f"""(pl.scan_csv('{f['one_csv']}', try_parse_dates=True)
  .sink_parquet('{o}/pl_one.parquet', compression='zstd'))"""),
        },
        "asof": {
            "marketlake": [ml, "-q", "asof", "trades", "quotes", "--lake", lake, "--columns",
                           "symbol,ts,price,size,right_ts,bid,ask", "--format", "parquet",
                           "--out", o / "ml_asof.parquet"],
            "duckdb": duck(f"""COPY (SELECT l.symbol, l.ts, l.price, l.size, r.ts AS right_ts,
                r.bid, r.ask
                FROM (SELECT symbol, ts, price, size FROM read_parquet('{t}')) l
                ASOF LEFT JOIN (SELECT symbol, ts, bid, ask FROM read_parquet('{q}')) r
                ON l.symbol = r.symbol AND l.ts >= r.ts)
                TO '{o}/duck_asof.parquet' (FORMAT parquet, COMPRESSION zstd)"""),
            "polars": polars(f"""l = pl.scan_parquet('{t}').select('symbol', 'ts', 'price', 'size').sort('ts')
r = (pl.scan_parquet('{q}').select('symbol', 'ts', 'bid', 'ask')
     .with_columns(right_ts=pl.col('ts')).sort('ts'))
l.join_asof(r, on='ts', by='symbol', strategy='backward').collect().write_parquet(
    '{o}/pl_asof.parquet')"""),
        },
    }


def prepare(ml: Path, scale: float) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    n_trades, n_quotes, n_one = int(10e6 * scale), int(20e6 * scale), int(9.3e6 * scale)
    tag = f"{n_trades}_{n_quotes}_{n_one}"
    lake = OUT / f"lake_{tag}"
    one_csv = OUT / f"one_symbol_{n_one}.csv"
    if not (lake / "_marketlake/quotes").exists():
        tp, qp = OUT / "t.parquet", OUT / "q.parquet"
        sh([ml, "-q", "generate", "trades", "--symbols", 100, "--days", 5, "--rows", n_trades,
            "--out", tp])
        sh([ml, "-q", "generate", "quotes", "--symbols", 100, "--days", 5, "--rows", n_quotes,
            "--seed", 7, "--out", qp])
        sh([ml, "-q", "import", tp, "--lake", lake, "--type", "trades", "--no-dedup"])
        sh([ml, "-q", "import", qp, "--lake", lake, "--type", "quotes", "--no-dedup"])
        tp.unlink()
        qp.unlink()
    if not one_csv.exists():
        sh([ml, "-q", "generate", "quotes", "--symbols", 1, "--days", 21, "--rows", n_one,
            "--start", "2024-03-01", "--out", one_csv])
    return {"lake": lake, "one_csv": one_csv, "n_trades": n_trades, "n_quotes": n_quotes,
            "n_one": n_one,
            "trades_glob": f"{lake}/cleaned/trades/**/*.parquet",
            "quotes_glob": f"{lake}/cleaned/quotes/**/*.parquet"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated jobs")
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    ml = Path(os.environ.get("MARKETLAKE_BIN", ROOT / "build/release/tools/marketlake/marketlake"))
    f = prepare(ml, args.scale)
    import duckdb  # noqa: F401  (versions for the report)
    import polars
    results = {}
    only = set(filter(None, args.only.split(",")))
    for job, cmds in jobs(ml, f).items():
        if only and job not in only:
            continue
        # Runs alternate between the tools, so drift in the machine's load falls on all alike.
        times = {who: [] for who in cmds}
        for _ in range(args.runs):
            for who, cmd in cmds.items():
                times[who].append(timed(cmd))
        results[job] = {who: statistics.median(t) for who, t in times.items()}
        for who, t in results[job].items():
            print(f"{job:9} {who:10} {t:7.2f} s", flush=True)
    lines = [
        f"Sizes: {f['n_trades']:,} trades and {f['n_quotes']:,} quotes (100 symbols, 5 days, "
        f"in a lake made by `marketlake import`), {f['n_one']:,} quotes of one symbol over 21 "
        f"days as CSV. Median of {args.runs} whole-process runs, alternating between the "
        f"tools; peers are a fresh `python -c` "
        f"(DuckDB {duckdb.__version__}, Polars {polars.__version__}) reading the lake's Parquet "
        f"files. Every tool writes zstd Parquet. {os.cpu_count()} cores "
        f"({platform.machine()}), shared with other work.",
        "",
        "| job | marketlake | DuckDB | Polars | faster peer / marketlake |",
        "| --- | ---: | ---: | ---: | ---: |"]
    names = {"bars": "trades -> 1m bars", "quotes1s": "quotes -> 1 per second (tightest)",
             "csv2pq": "one symbol's month of quotes, CSV -> Parquet",
             "asof": "trades as-of quotes"}
    for job, r in results.items():
        best = min(r["duckdb"], r["polars"])
        lines.append(f"| {names[job]} | {r['marketlake']:.2f} s | {r['duckdb']:.2f} s | "
                     f"{r['polars']:.2f} s | {best / r['marketlake']:.2f}x |")
    text = "\n".join(lines)
    print(text)
    if not args.no_readme:
        readme = ROOT / "bench/README.md"
        old = readme.read_text() if readme.exists() else ""
        head, _, rest = old.partition("\n## Time\n")
        tail = rest[rest.index("\n## "):] if "\n## " in rest else ""  # sections after ours
        body = ("\n\n## Time\n\nbench/time_bench.py (bars, quote sampling, CSV to Parquet, "
                "as-of join).\n\n" + text + "\n")
        readme.write_text(head.rstrip("\n") + body + tail)


if __name__ == "__main__":
    main()
