#!/usr/bin/env python3
"""marketlake vs DuckDB vs Polars on the same files: a benchmark, not a test.

    .venv/bin/python bench/run_bench.py                 # 10 million trades (the reference run)
    .venv/bin/python bench/run_bench.py --rows 1000000  # quicker
    .venv/bin/python bench/run_bench.py --rows 20000 --runs 1 --no-readme   # smoke run
    .venv/bin/python bench/run_bench.py --encodings --rows 2000000          # docs/parquet-defaults.md

Generates trades with `marketlake generate trades --symbols 100 --days 5` as CSV and Parquet
into bench/out/ (gitignored), then times, per job, the median of --runs runs of:
  * marketlake: the whole process (`marketlake -q ...`);
  * DuckDB and Polars: the whole process (`python -c` doing import, connect, query in a fresh
    interpreter) and, from the same process, the query alone without start-up.
Ratios are peer / marketlake (whole process): above 1 means marketlake is faster.
Results go to stdout as markdown and, unless --no-readme, into bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

# The symbol+hour job: one symbol, one regular-session hour of the second day (EST, UTC-5).
WHERE_ML = ("symbol = 'AAPL' AND ts >= '2024-03-05T10:00:00-05:00' "
            "AND ts < '2024-03-05T11:00:00-05:00'")
WHERE_SQL = ("symbol = 'AAPL' AND ts >= TIMESTAMPTZ_NS '2024-03-05 15:00:00+00' "
             "AND ts < TIMESTAMPTZ_NS '2024-03-05 16:00:00+00'")


def sh(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr}")
    return p


def timed(cmd, stdout=subprocess.DEVNULL):
    """Whole-process seconds of `cmd`, and its stdout when captured."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr}")
    return dt, p.stdout


# ---------------------------------------------------------------- peer programs
# Each prints the query time (seconds, without interpreter start-up, imports or connecting)
# as its last line.

DUCK_PRELUDE = "import time, duckdb, pyarrow\ncon = duckdb.connect()\ncon.execute(\"SET TimeZone='UTC'\")\n"
POLARS_PRELUDE = "import time, polars as pl\n"


def duck_program(job, f):
    if job == "csv2pq":
        q = (f"con.execute(\"COPY (SELECT * FROM read_csv('{f['csv']}', header=true, "
             f"types={{'ts': 'TIMESTAMPTZ_NS'}})) TO '{f['out_duck_a']}' "
             "(FORMAT parquet, COMPRESSION zstd)\")")
    elif job == "pq2pq":
        q = (f"con.execute(\"COPY (SELECT * FROM read_parquet('{f['parquet']}')) "
             f"TO '{f['out_duck_b']}' (FORMAT parquet, COMPRESSION zstd)\")")
    elif job == "decode":
        aggs = ", ".join(f"count({c}), count(*) - count({c}), min({c}), max({c})"
                         for c in f["columns"])
        # Without this DuckDB answers count/min/max from the footer's statistics and decodes
        # nothing ("Column Data Scan ~1 row"): 10x faster than any decode, and not the job.
        q = ("con.execute(\"SET disabled_optimizers='statistics_propagation'\")\n"
             f"con.sql(\"SELECT {aggs} FROM read_parquet('{f['parquet']}')\").to_arrow_table()")
    elif job == "filter":
        q = (f"con.sql(\"SELECT * FROM read_parquet('{f['sorted']}') WHERE {WHERE_SQL}\")"
             ".to_arrow_table()")
    return DUCK_PRELUDE + f"t0 = time.perf_counter()\n{q}\nprint(time.perf_counter() - t0)\n"


def polars_program(job, f):
    if job == "csv2pq":
        q = (f"pl.scan_csv('{f['csv']}', schema_overrides={{'ts': pl.Datetime('ns', 'UTC')}})"
             f".sink_parquet('{f['out_polars_a']}', compression='zstd')")
    elif job == "pq2pq":
        q = (f"pl.scan_parquet('{f['parquet']}').sink_parquet('{f['out_polars_b']}', "
             "compression='zstd')")
    elif job == "decode":
        exprs = ", ".join(
            f"pl.col('{c}').count().alias('{c}_n'), pl.col('{c}').null_count().alias('{c}_z'), "
            f"pl.col('{c}').min().alias('{c}_lo'), pl.col('{c}').max().alias('{c}_hi')"
            for c in f["columns"])
        q = f"pl.scan_parquet('{f['parquet']}').select({exprs}).collect()"
    elif job == "filter":
        q = (f"pl.scan_parquet('{f['sorted']}').filter((pl.col('symbol') == 'AAPL') & "
             "(pl.col('ts') >= pl.lit('2024-03-05T15:00:00Z').str.to_datetime("
             "time_unit='ns', time_zone='UTC')) & "
             "(pl.col('ts') < pl.lit('2024-03-05T16:00:00Z').str.to_datetime("
             "time_unit='ns', time_zone='UTC'))).collect()")
    return POLARS_PRELUDE + f"t0 = time.perf_counter()\n{q}\nprint(time.perf_counter() - t0)\n"


def ml_command(ml, job, f):
    if job == "csv2pq":
        return [ml, "-q", "convert", f["csv"], f["out_ml_a"], "--compression", "zstd"]
    if job == "pq2pq":
        return [ml, "-q", "convert", f["parquet"], f["out_ml_b"], "--compression", "zstd"]
    if job == "decode":
        return [ml, "-q", "describe", f["parquet"], "--json"]
    if job == "filter":
        return [ml, "-q", "cat", f["sorted"], "--where", WHERE_ML]
    raise ValueError(job)


JOBS = [
    ("csv2pq", "(a) CSV → Parquet (zstd)"),
    ("pq2pq", "(b) Parquet → Parquet (zstd)"),
    ("decode", "(c) full decode: count/nulls/min/max of every column"),
    ("filter", "(d) one symbol, one hour, file sorted by (symbol, ts)"),
]

JOB_NOTES = """\
What each engine does per job (same input files, all engines multi-threaded on all cores):

* **(a)** marketlake `convert trades.csv out.parquet --compression zstd` (types inferred,
  market-default encodings); DuckDB `COPY (SELECT * FROM read_csv(..., types={'ts':
  'TIMESTAMPTZ_NS'})) TO ... (FORMAT parquet, COMPRESSION zstd)`; Polars
  `scan_csv(schema_overrides={'ts': Datetime('ns','UTC')}).sink_parquet(compression='zstd')`.
  The timestamp type is pinned for the peers so that all three keep nanoseconds.
* **(b)** marketlake `convert trades.parquet out.parquet`; DuckDB `COPY (SELECT * FROM
  read_parquet(...)) TO ...`; Polars `scan_parquet().sink_parquet()`; all zstd.
* **(c)** marketlake `describe --json` (decodes every column of every row group and computes
  count, nulls, min, max per column); DuckDB `SELECT count(c), count(*)-count(c), min(c),
  max(c)` for every column; Polars `scan_parquet().select(count, null_count, min, max per
  column).collect()`. DuckDB runs with `SET disabled_optimizers='statistics_propagation'`:
  otherwise it answers these aggregates from the footer statistics without decoding anything
  (9 ms for 1M rows), which is not what this job measures.
* **(d)** marketlake `cat sorted.parquet --where "<symbol and hour>" > /dev/null` (CSV text
  out; uses statistics and the page index); DuckDB `SELECT * ... WHERE ...` fetched as an Arrow
  table; Polars `scan_parquet().filter(...).collect()`. The sorted file is written once by
  `marketlake convert --sort-by symbol,ts` and is the same for all three.
"""


def machine_description():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    import duckdb
    import polars
    import pyarrow
    load = ", load average {:.1f} at the start".format(os.getloadavg()[0])
    return (f"{cpu}, {os.cpu_count()} logical CPUs{mem}{load}; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}, duckdb "
            f"{duckdb.__version__}, polars {polars.__version__}, pyarrow {pyarrow.__version__}")


def fmt_s(x):
    return f"{x:.3f}" if x < 10 else f"{x:.2f}"


def fmt_mb(n):
    return f"{n / 1e6:.2f} MB"


def prepare(ml, out, rows, symbols, days, seed):
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "csv": out / "trades.csv", "parquet": out / "trades.parquet",
        "sorted": out / "trades_sorted.parquet",
        "out_ml_a": out / "ml_a.parquet", "out_duck_a": out / "duck_a.parquet",
        "out_polars_a": out / "polars_a.parquet",
        "out_ml_b": out / "ml_b.parquet", "out_duck_b": out / "duck_b.parquet",
        "out_polars_b": out / "polars_b.parquet",
    }
    stamp = out / "inputs.json"
    want = {"rows": rows, "symbols": symbols, "days": days, "seed": seed}
    have = json.loads(stamp.read_text()) if stamp.exists() else None
    if have != want or not all(files[k].exists() for k in ("csv", "parquet", "sorted")):
        print(f"generating {rows} trades into {out} ...", file=sys.stderr)
        gen = [ml, "-q", "generate", "trades", "--symbols", str(symbols), "--days", str(days),
               "--rows", str(rows), "--seed", str(seed)]
        sh(gen + ["--out", str(files["csv"])])
        sh(gen + ["--out", str(files["parquet"])])
        sh([ml, "-q", "convert", str(files["parquet"]), str(files["sorted"]), "--sort-by",
            "symbol,ts"])
        stamp.write_text(json.dumps(want))
    import pyarrow.parquet as pq
    files["columns"] = pq.read_schema(files["parquet"]).names
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in files.items()}


def run_benchmark(args):
    ml = str(Path(args.marketlake).resolve())
    out = Path(args.out).resolve()
    f = prepare(ml, out, args.rows, args.symbols, args.days, args.seed)
    results = {}
    for job, title in JOBS:
        ml_t, duck_t, duck_q, pol_t, pol_q = [], [], [], [], []
        for _ in range(args.runs):
            suffix = {"csv2pq": "a", "pq2pq": "b"}.get(job)
            for e in ("ml", "duck", "polars") if suffix else ():
                Path(f[f"out_{e}_{suffix}"]).unlink(missing_ok=True)
            ml_t.append(timed(ml_command(ml, job, f))[0])
            t, stdout = timed([PY, "-c", duck_program(job, f)], stdout=subprocess.PIPE)
            duck_t.append(t)
            duck_q.append(float(stdout.strip().splitlines()[-1]))
            t, stdout = timed([PY, "-c", polars_program(job, f)], stdout=subprocess.PIPE)
            pol_t.append(t)
            pol_q.append(float(stdout.strip().splitlines()[-1]))
        med = statistics.median
        results[job] = dict(ml=med(ml_t), duck=med(duck_t), duck_q=med(duck_q),
                            polars=med(pol_t), polars_q=med(pol_q))
        print(f"{title}: marketlake {med(ml_t):.3f}s, duckdb {med(duck_t):.3f}s "
              f"(query {med(duck_q):.3f}s), polars {med(pol_t):.3f}s (query {med(pol_q):.3f}s)",
              file=sys.stderr)
    sizes = {}
    for job, suffix in (("csv2pq", "a"), ("pq2pq", "b")):
        sizes[job] = {e: os.path.getsize(f[f"out_{e}_{suffix}"])
                      for e in ("ml", "duck", "polars")}
    # Start-up cost of each runtime on its own, for reading the table.
    startup = {
        "marketlake": statistics.median(timed([ml, "--version"])[0] for _ in range(5)),
        "duckdb": statistics.median(timed([PY, "-c", DUCK_PRELUDE])[0] for _ in range(3)),
        "polars": statistics.median(timed([PY, "-c", POLARS_PRELUDE])[0] for _ in range(3)),
    }
    return f, results, sizes, startup


def markdown(args, f, results, sizes, startup):
    csv_mb = os.path.getsize(f["csv"]) / 1e6
    pq_mb = os.path.getsize(f["parquet"]) / 1e6
    lines = [
        f"Input: {args.rows:,} trades, {args.symbols} symbols, {args.days} days "
        f"(seed {args.seed}): CSV {csv_mb:.1f} MB, Parquet {pq_mb:.1f} MB. "
        f"Median of {args.runs} run(s); seconds.",
        "",
        "| job | marketlake | DuckDB process | DuckDB query | Polars process | Polars query "
        "| DuckDB/ml | Polars/ml | DuckDB query/ml | Polars query/ml |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for job, title in JOBS:
        r = results[job]
        lines.append(
            f"| {title} | {fmt_s(r['ml'])} | {fmt_s(r['duck'])} | {fmt_s(r['duck_q'])} | "
            f"{fmt_s(r['polars'])} | {fmt_s(r['polars_q'])} | {r['duck'] / r['ml']:.2f} | "
            f"{r['polars'] / r['ml']:.2f} | {r['duck_q'] / r['ml']:.2f} | "
            f"{r['polars_q'] / r['ml']:.2f} |")
    lines += [
        "",
        "Ratios are peer / marketlake whole process: above 1 means marketlake is faster. The "
        "last two compare the peers' query alone (no start-up) with marketlake's whole process. "
        f"Start-up alone: marketlake {startup['marketlake'] * 1000:.0f} ms, python+duckdb "
        f"{startup['duckdb'] * 1000:.0f} ms, python+polars {startup['polars'] * 1000:.0f} ms.",
        "",
        "| zstd output | marketlake | DuckDB | Polars | ml/DuckDB |",
        "|---|---:|---:|---:|---:|",
    ]
    for job, title in JOBS[:2]:
        s = sizes[job]
        lines.append(f"| {title} | {fmt_mb(s['ml'])} | {fmt_mb(s['duck'])} | "
                     f"{fmt_mb(s['polars'])} | {s['ml'] / s['duck']:.2f} |")
    return "\n".join(lines)


README_TEMPLATE = """\
# Benchmarks

`bench/run_bench.py` times marketlake against DuckDB and Polars (the Python packages in
`.venv`) on the same generated files. It is a benchmark, not a test: nothing asserts on time.

## How to run

```sh
cmake --preset release && cmake --build build/release --target marketlake -j2
.venv/bin/python bench/run_bench.py                  # 10 million trades (reference run)
.venv/bin/python bench/run_bench.py --rows 1000000   # quicker
.venv/bin/python bench/run_bench.py --rows 20000 --runs 1 --no-readme   # smoke run
```

Inputs are generated once into `bench/out/` (gitignored) with
`marketlake generate trades --symbols 100 --days 5 --rows N` and reused while the options stay
the same. Each job runs `--runs` times (default 3) and the median is reported. Every run of a
peer is a fresh `python -c` process: the table shows its whole-process time and, measured
inside that process, the query alone (no interpreter start-up, imports or connecting).
The script rewrites this file; `--no-readme` leaves it alone.

`--encodings` instead measures the per-column encoding choices for
[docs/parquet-defaults.md](../docs/parquet-defaults.md).

{notes}
## Results

Machine: {machine}.
Run: `{command}` on {date}.

{table}
"""


# ---------------------------------------------------------------- encodings (docs)

ENCODING_VARIANTS = {
    # column -> encodings to compare; variant i uses the i-th of each list (or the last).
    "price": ["BYTE_STREAM_SPLIT", "RLE_DICTIONARY", "PLAIN"],
    "ts": ["DELTA_BINARY_PACKED", "PLAIN", "RLE_DICTIONARY"],
    "size": ["RLE_DICTIONARY", "DELTA_BINARY_PACKED", "PLAIN"],
    "trade_id": ["DELTA_BINARY_PACKED", "PLAIN"],
    "symbol": ["RLE_DICTIONARY", "DELTA_BYTE_ARRAY", "PLAIN"],
    "exchange": ["RLE_DICTIONARY", "DELTA_BYTE_ARRAY", "PLAIN"],
}


def decode_seconds(path, column, repeats=5):
    import pyarrow.parquet as pq
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        pq.read_table(path, columns=[column], use_threads=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_encodings(args):
    ml = str(Path(args.marketlake).resolve())
    out = Path(args.out).resolve() / "encodings"
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "trades.csv"
    sh([ml, "-q", "generate", "trades", "--symbols", str(args.symbols), "--days",
        str(args.days), "--rows", str(args.rows), "--seed", str(args.seed), "--out", str(csv)])
    results = {}  # (order, column, encoding) -> (bytes, seconds, encodings seen)
    nvariants = max(len(v) for v in ENCODING_VARIANTS.values())
    for order, sort_args in (("ts (as generated)", []), ("(symbol, ts)", ["--sort-by",
                                                                           "symbol,ts"])):
        for i in range(nvariants):
            path = out / f"v{i}.parquet"
            enc_args = []
            chosen = {}
            for col, encs in ENCODING_VARIANTS.items():
                if i < len(encs):
                    chosen[col] = encs[i]
                    enc_args += ["--encoding", f"{col}={encs[i]}"]
            # The 1 Mi-row row groups the tables were measured with (the default is now 128 Ki).
            sh([ml, "-q", "convert", str(csv), str(path), "--compression", "zstd",
                "--row-group-size", "1048576", *sort_args, *enc_args])
            info = json.loads(sh([ml, "inspect", str(path), "--json"]).stdout)
            for col, enc in chosen.items():
                size = 0
                seen = set()
                for rg in info["row_groups"]:
                    for c in rg["columns"]:
                        if c["path"] == col:
                            size += c["compressed_bytes"]
                            seen |= set(c["encodings"])
                results[(order, col, enc)] = (size, decode_seconds(path, col), seen)
            print(f"{order} variant {i} done", file=sys.stderr)
    lines = [
        f"{args.rows:,} generated trades ({args.symbols} symbols, {args.days} days), zstd "
        "(default level), 1 Mi-row row groups, pages of at most 20,000 rows, page version 1. "
        "Size: compressed bytes of the column's chunks (`inspect --json`). Decode: median of "
        "5 single-threaded `pyarrow.parquet.read_table(columns=[c])` (the same Arrow C++ 26 "
        "decoders marketlake uses); includes decompression.",
        "",
        "| column | encoding | size, sorted by ts | decode ms | size, sorted by (symbol, ts) "
        "| decode ms | encodings in file |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    orders = ["ts (as generated)", "(symbol, ts)"]
    for col, encs in ENCODING_VARIANTS.items():
        best = {o: min(results[(o, col, e)][0] for e in encs) for o in orders}
        for e in encs:
            cells = []
            for o in orders:
                size, secs, seen = results[(o, col, e)]
                mark = " **best**" if size == best[o] else ""
                cells.append(f"{size / 1e6:.2f} MB{mark} | {secs * 1000:.1f}")
            seen = ", ".join(sorted(results[(orders[0], col, e)][2] - {"RLE"})) or "-"
            lines.append(f"| {col} | {e} | {cells[0]} | {cells[1]} | {seen} |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--symbols", type=int, default=100)
    p.add_argument("--days", type=int, default=5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", default=str(ROOT / "bench" / "out"))
    p.add_argument("--marketlake", default=os.environ.get(
        "MARKETLAKE_BIN", str(ROOT / "build/release/tools/marketlake/marketlake")))
    p.add_argument("--readme", default=str(ROOT / "bench" / "README.md"))
    p.add_argument("--no-readme", action="store_true", help="do not rewrite bench/README.md")
    p.add_argument("--encodings", action="store_true",
                   help="measure per-column encodings (docs/parquet-defaults.md) instead")
    args = p.parse_args()
    if not Path(args.marketlake).exists():
        raise SystemExit(f"no marketlake binary at {args.marketlake}; build it first")
    if args.encodings:
        print(run_encodings(args))
        return
    f, results, sizes, startup = run_benchmark(args)
    table = markdown(args, f, results, sizes, startup)
    print(table)
    if not args.no_readme:
        argv = " ".join(["bench/run_bench.py"] + sys.argv[1:])
        readme = Path(args.readme)
        # Other benchmarks (bench/s3_bench.py) append their own "## Object storage..."
        # sections; keep everything from the first section this script does not write.
        kept = ""
        if readme.exists():
            old = readme.read_text()
            marker = old.find("\n## Object storage")
            if marker >= 0:
                kept = old[marker:]
        readme.write_text(README_TEMPLATE.format(
            notes=JOB_NOTES, machine=machine_description(),
            command=f".venv/bin/python {argv}",
            date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), table=table) + kept)
        print(f"wrote {args.readme}", file=sys.stderr)


if __name__ == "__main__":
    main()
