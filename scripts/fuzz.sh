#!/usr/bin/env bash
# Builds the libFuzzer targets (clang) and runs each for a bounded time on its seed corpus.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-45}"
shopt -s nullglob
names=()
for src in tests/fuzz/*_fuzz.cc; do names+=("$(basename "$src" .cc)"); done
cmake --preset fuzz >/dev/null
# Only the fuzz targets and what they link: the rest of the tree is built and tested elsewhere.
cmake --build --preset fuzz -j "${ML_JOBS:-$(nproc)}" --target "${names[@]}"
targets=()
for n in "${names[@]}"; do targets+=("build/fuzz/tests/fuzz/$n"); done
if ((${#targets[@]} == 0)); then
  echo "fuzz: no targets built" >&2
  exit 1
fi
for t in "${targets[@]}"; do
  name="$(basename "$t" _fuzz)"
  corpus="tests/fuzz/corpus/$name"
  work="$(mktemp -d)"
  echo "fuzz: $name for ${seconds}s"
  # New inputs go to a scratch directory; the checked-in corpus stays as it is.
  dict=()
  [[ -f "tests/fuzz/$name.dict" ]] && dict=(-dict="tests/fuzz/$name.dict")
  # libFuzzer exits non-zero on a crash, leak or timeout; pipefail makes that fail the run.
  "$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "${dict[@]}" "$work" "$corpus" 2>&1 | tail -n 12
  rm -rf "$work"
done
