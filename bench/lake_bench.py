#!/usr/bin/env python3
"""Lake benchmark (issue 4): CSV to lake for trades and quotes, and reading one symbol-hour
back, marketlake against DuckDB and Polars on the same generated files, in one run.

  (i)   trades CSV -> lake: `marketlake import` (validates, normalises to UTC ns, deduplicates,
        partitions by trading day, sorts by (symbol, ts), zstd, statistics, page index, bloom
        filter) against DuckDB's and Polars' plain CSV -> Parquet (zstd) of the same file.
  (ii)  quotes CSV -> lake: the same for quotes.
  (iii) one symbol, one hour from the trades lake: `marketlake read trades --symbol S --from
        --to` against DuckDB querying the same lake with hive partitioning (read_parquet over
        LAKE/cleaned/trades/**/*.parquet) and Polars scan_parquet(hive_partitioning=True).

Writes a "## Lake" section into bench/README.md (other sections are kept).

  .venv/bin/python bench/lake_bench.py                         # 10M trades, 20M quotes
  .venv/bin/python bench/lake_bench.py --trades 1000000 --quotes 2000000 --runs 1
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
SYMBOL = "AAPL"
FROM_ML, TO_ML = "2024-03-05T10:00:00-05:00", "2024-03-05T11:00:00-05:00"
FROM_SQL, TO_SQL = "2024-03-05 15:00:00+00", "2024-03-05 16:00:00+00"


def sh(cmd):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr}")
    return p


def timed(cmd, capture=False):
    t0 = time.perf_counter()
    p = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE if capture else
                       subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr}")
    return dt, (p.stdout if capture else "")


def duck_csv(csv, out):
    return ("import time, duckdb\ncon = duckdb.connect()\ncon.execute(\"SET enable_progress_bar=false\")\nt0 = time.perf_counter()\n"
            f"con.execute(\"COPY (SELECT * FROM read_csv('{csv}', header=true, "
            f"types={{'ts': 'TIMESTAMPTZ_NS'}})) TO '{out}' (FORMAT parquet, COMPRESSION zstd)\")\n"
            "print('T=%f' % (time.perf_counter() - t0))\n")


def polars_csv(csv, out):
    return ("import time, polars as pl\nt0 = time.perf_counter()\n"
            f"pl.scan_csv('{csv}', schema_overrides={{'ts': pl.Datetime('ns', 'UTC')}})"
            f".sink_parquet('{out}', compression='zstd')\nprint('T=%f' % (time.perf_counter() - t0))\n")


def duck_read(lake):
    glob = f"{lake}/cleaned/trades/**/*.parquet"
    return ("import time, duckdb\ncon = duckdb.connect()\ncon.execute(\"SET enable_progress_bar=false\")\ncon.execute(\"SET TimeZone='UTC'\")\n"
            "t0 = time.perf_counter()\n"
            f"t = con.sql(\"SELECT * FROM read_parquet('{glob}', hive_partitioning=true) "
            f"WHERE symbol = '{SYMBOL}' AND ts >= TIMESTAMPTZ_NS '{FROM_SQL}' AND ts < "
            f"TIMESTAMPTZ_NS '{TO_SQL}' ORDER BY symbol, ts\").to_arrow_table()\n"
            "print('T=%f' % (time.perf_counter() - t0))\n")


def polars_read(lake):
    return ("import time, datetime as dt, polars as pl\nt0 = time.perf_counter()\n"
            f"lo = dt.datetime(2024, 3, 5, 15, tzinfo=dt.timezone.utc)\n"
            f"hi = dt.datetime(2024, 3, 5, 16, tzinfo=dt.timezone.utc)\n"
            f"t = pl.scan_parquet('{lake}/cleaned/trades/**/*.parquet', hive_partitioning=True)"
            f".filter((pl.col('symbol') == '{SYMBOL}') & (pl.col('ts') >= lo) & "
            "(pl.col('ts') < hi)).sort('symbol', 'ts').collect()\n"
            "print('T=%f' % (time.perf_counter() - t0))\n")


def prepare(ml, out, trades, quotes, seed):
    out.mkdir(parents=True, exist_ok=True)
    stamp = out / "lake_inputs.json"
    want = {"trades": trades, "quotes": quotes, "seed": seed}
    have = json.loads(stamp.read_text()) if stamp.exists() else None
    files = {"trades": out / "lake_trades.csv", "quotes": out / "lake_quotes.csv"}
    if have != want or not all(p.exists() for p in files.values()):
        print(f"generating {trades} trades and {quotes} quotes ...", file=sys.stderr)
        for kind, rows in (("trades", trades), ("quotes", quotes)):
            sh([ml, "-q", "generate", kind, "--symbols", "100", "--days", "5", "--rows", rows,
                "--seed", seed, "--out", files[kind]])
        stamp.write_text(json.dumps(want))
    return files


def median_runs(runs, fn):
    ts = [fn() for _ in range(runs)]
    return statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trades", type=int, default=10_000_000)
    ap.add_argument("--quotes", type=int, default=20_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    ap.add_argument("--marketlake", default=os.environ.get(
        "MARKETLAKE_BIN", str(ROOT / "build" / "release" / "tools" / "marketlake" / "marketlake")))
    ap.add_argument("--readme", default=str(ROOT / "bench" / "README.md"))
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    ml = str(Path(args.marketlake).resolve())
    out = Path(args.out).resolve()
    files = prepare(ml, out, args.trades, args.quotes, args.seed)
    results = {}
    lakes = {}
    for kind in ("trades", "quotes"):
        lake = out / f"lake_{kind}"
        duck_out, pol_out = out / f"duck_{kind}.parquet", out / f"polars_{kind}.parquet"

        def run_ml():
            shutil.rmtree(lake, ignore_errors=True)
            t, stdout = timed([ml, "-q", "import", files[kind], "--lake", lake, "--type", kind,
                               "--json"], capture=True)
            return t, t, json.loads(stdout)

        def peer(program):
            def go():
                t, stdout = timed([PY, "-c", program], capture=True)
                return t, float(re.findall(r"T=([0-9.]+)", stdout)[-1])
            return go

        # Interleaved (marketlake, DuckDB, Polars, marketlake, ...) so that a change in the
        # machine's load during the run falls on all three alike.
        ml_runs, duck_runs, pol_runs = [], [], []
        for _ in range(args.runs):
            ml_runs.append(run_ml())
            duck_runs.append(peer(duck_csv(files[kind], duck_out))())
            pol_runs.append(peer(polars_csv(files[kind], pol_out))())
        report = ml_runs[-1][2]
        lakes[kind] = lake
        duck = tuple(statistics.median(r[i] for r in duck_runs) for i in (0, 1))
        pol = tuple(statistics.median(r[i] for r in pol_runs) for i in (0, 1))
        results[kind] = dict(ml=statistics.median(r[0] for r in ml_runs), duck=duck,
                             polars=pol, rows=report["rows_written"],
                             dups=report["duplicates_skipped"],
                             csv_mb=files[kind].stat().st_size / 1e6)
        print(kind, results[kind], file=sys.stderr)

    lake = lakes["trades"]
    ml_read = [timed([ml, "-q", "read", "trades", "--lake", lake, "--symbol", SYMBOL, "--from",
                      FROM_ML, "--to", TO_ML, "--format", "csv"])[0] for _ in range(args.runs)]
    stats = json.loads(sh([ml, "-q", "read", "trades", "--lake", lake, "--symbol", SYMBOL,
                           "--from", FROM_ML, "--to", TO_ML, "--format", "csv",
                           "--stats-json"]).stderr.strip().splitlines()[-1])

    def read_peer(program):
        def go():
            t, stdout = timed([PY, "-c", program], capture=True)
            return t, float(re.findall(r"T=([0-9.]+)", stdout)[-1])
        return go

    results["read"] = dict(ml=statistics.median(ml_read),
                           duck=median_runs(args.runs, read_peer(duck_read(lake))),
                           polars=median_runs(args.runs, read_peer(polars_read(lake))),
                           stats=stats)
    print("read", results["read"], file=sys.stderr)
    section = markdown(args, results)
    print(section)
    if not args.no_readme:
        write_section(Path(args.readme), "## Lake", section)


def markdown(args, r):
    def row(title, x):
        d, p = x["duck"], x["polars"]
        return (f"| {title} | {x['ml']:.2f} s | {d[0]:.2f} s | {d[1]:.2f} s | {p[0]:.2f} s | "
                f"{p[1]:.2f} s | {d[0] / x['ml']:.2f} | {p[0] / x['ml']:.2f} | "
                f"{d[1] / x['ml']:.2f} | {p[1] / x['ml']:.2f} |")
    lines = [
        "## Lake",
        "",
        f"`bench/lake_bench.py --trades {args.trades} --quotes {args.quotes} --runs "
        f"{args.runs}` ({time.strftime('%Y-%m-%d')}). marketlake imports into a fresh lake "
        "each run: it reads the CSV as text, validates and normalises every row (STRICT), "
        "deduplicates on the dataset key, partitions by trading day, sorts by (symbol, ts) "
        "and writes zstd Parquet with statistics, page index and a symbol bloom filter. The "
        "peers only convert the same CSV to one zstd Parquet file. For the read, the peers "
        "query the lake marketlake wrote, with hive partitioning. Median of the runs, which "
        "alternate between the three tools; ratios are peer / marketlake (above 1: marketlake "
        "is faster); \"query\" is the peer's time inside its process, without Python start-up.",
        "",
        "| job | marketlake | DuckDB process | DuckDB query | Polars process | Polars query "
        "| DuckDB/ml | Polars/ml | DuckDB query/ml | Polars query/ml |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        row(f"trades CSV ({r['trades']['csv_mb']:.0f} MB, {r['trades']['rows']:,} rows) → "
            "lake", r["trades"]),
        row(f"quotes CSV ({r['quotes']['csv_mb']:.0f} MB, {r['quotes']['rows']:,} rows) → "
            "lake", r["quotes"]),
        row(f"read {SYMBOL}, one hour, from the trades lake", r["read"]),
        "",
        f"The read touched {r['read']['stats'].get('files_read', '?')} of "
        f"{r['read']['stats'].get('files_total', '?')} files (the rest pruned by partition and "
        "log statistics) and the pages the page index allows: "
        f"`{json.dumps(r['read']['stats'])}`.",
        "",
    ]
    return "\n".join(lines)


def write_section(readme: Path, heading: str, section: str):
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(section.rstrip() + "\n\n", text)
    else:
        text = text.rstrip() + "\n\n" + section.rstrip() + "\n"
    readme.write_text(text)


if __name__ == "__main__":
    main()
