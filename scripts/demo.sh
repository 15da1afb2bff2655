#!/usr/bin/env bash
# marketlake's main job, end to end, on a local default. From a fresh machine:
#
#   scripts/demo.sh
#
# Installs what is needed, builds, then: generates a sample week of trades and quotes (CSV),
# imports them into a local lake (validated, deduplicated, partitioned by trading day,
# sorted by (symbol, ts)), reads one symbol's hour back showing how much was skipped, and
# shows the lake's statistics. Running it again imports nothing new (every row is a
# duplicate the lake already holds).
# DEMO_DIR (default ./demo) holds the files; DEMO_ROWS (default 2000000) sizes each sample.
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
run "$ml" generate quotes --symbols 50 --days 5 --rows "$rows" --out "$dir/quotes.csv"
run "$ml" import "$dir/trades.csv" "$dir/quotes.csv" --lake "$dir/lake"
run "$ml" partitions trades --lake "$dir/lake"
run "$ml" read trades --lake "$dir/lake" --symbol MSFT \
  --from 2024-03-05T10:00:00-05:00 --to 2024-03-05T11:00:00-05:00 --limit 10 --stats
run "$ml" stats --lake "$dir/lake"
printf '\nDone. The lake is in %s/lake\n' "$dir"
