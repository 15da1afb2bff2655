#!/usr/bin/env bash
# marketlake's main job, end to end, on a local default. From a fresh machine:
#
#   scripts/demo.sh
#
# Installs what is needed, builds, then: generates a week of sample trades (CSV), converts
# them to Parquet tuned for market data sorted by (symbol, ts), inspects and describes the
# file, and reads one symbol's hour back, showing how much was skipped.
# DEMO_DIR (default ./demo) holds the files; DEMO_ROWS (default 2000000) sizes the sample.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target marketlake
ml="$root/build/release/tools/marketlake/marketlake"
dir="${DEMO_DIR:-$root/demo}"
rows="${DEMO_ROWS:-2000000}"
mkdir -p "$dir"
run() { printf '\n$ %s\n' "$*"; "$@"; }

run "$ml" generate trades --symbols 50 --days 5 --rows "$rows" --out "$dir/trades.csv"
run "$ml" convert "$dir/trades.csv" "$dir/trades.parquet" --sort-by symbol,ts --bloom-filter symbol
run "$ml" inspect "$dir/trades.parquet"
run "$ml" describe "$dir/trades.parquet"
run "$ml" cat "$dir/trades.parquet" --limit 5 --stats \
  --where "symbol = 'MSFT' AND ts >= '2024-03-05T10:00:00-05:00' AND ts < '2024-03-05T11:00:00-05:00'"
printf '\nDone. Files are in %s\n' "$dir"
