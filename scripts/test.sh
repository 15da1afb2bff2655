#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this). From a fresh machine:
#
#   scripts/test.sh
#
# Steps: install dependencies (scripts/setup.sh), style checks (clang-format, clang-tidy),
# a -Werror release build with unit, storage and CLI/interop tests, the unit tests again
# under ASan+UBSan, and each fuzz target for a bounded time.
#   ML_SKIP_ASAN=1 / ML_SKIP_FUZZ=1 / ML_SKIP_TIDY=1 skip those stages locally.
#   ML_FUZZ_SECONDS (default 45) bounds each fuzz target.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="${ML_JOBS:-$(nproc)}"
# S3 tests run against moto on loopback; here a missing server fails them instead of skipping.
export ML_REQUIRE_MOTO=1
start=$SECONDS
stage() { printf '\n==> %s (%ds)\n' "$*" $((SECONDS - start)); }

stage "setup"
scripts/setup.sh

stage "style: clang-format"
scripts/check_style.sh format

stage "build: release (-Werror)"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"

if [[ "${ML_SKIP_TIDY:-0}" != 1 ]]; then
  stage "style: clang-tidy"
  scripts/check_style.sh tidy build/ci
fi

stage "tests: unit + storage (ctest)"
ctest --preset ci -j "$jobs" --timeout 900

stage "tests: CLI and interop (pytest)"
export MARKETLAKE_BIN="$root/build/ci/tools/marketlake/marketlake"
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider -n "$jobs" tests/interop tests/cli
rc=$?
set -e
# pytest exits 5 when it collects nothing: that is a broken suite, not a pass.
if [[ $rc -ne 0 ]]; then
  echo "pytest failed (exit $rc)" >&2
  exit 1
fi

if [[ "${ML_SKIP_ASAN:-0}" != 1 ]]; then
  stage "build: ASan+UBSan"
  cmake --preset ci-asan >/dev/null
  cmake --build --preset ci-asan -j "$jobs"
  stage "tests: unit under ASan+UBSan"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:suppressions=$root/tests/asan.supp"
  export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  ctest --preset ci-asan -j "$jobs" -L unit --timeout 900
  unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
fi

if [[ "${ML_SKIP_FUZZ:-0}" != 1 ]]; then
  stage "fuzz"
  scripts/fuzz.sh "${ML_FUZZ_SECONDS:-45}"
fi

stage "all tests passed"
