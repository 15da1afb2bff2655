#!/usr/bin/env bash
# Style checks that CI enforces.
#   scripts/check_style.sh format        every tracked C++ file is clang-formatted
#   scripts/check_style.sh tidy BUILD    clang-tidy (Google naming, .clang-tidy) on our sources
# Both first prove that the checker fires on a known-bad sample, so a broken configuration
# cannot pass silently.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mode="${1:?format|tidy}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

case "$mode" in
  format)
    printf 'int  f( int x ){return x;}\n' >"$tmp/bad.cc"
    if clang-format --style=file:"$root/.clang-format" --dry-run --Werror "$tmp/bad.cc" 2>/dev/null; then
      echo "check_style: clang-format did not flag a known-bad file" >&2
      exit 1
    fi
    mapfile -t files < <(git ls-files '*.cc' '*.h')
    clang-format --dry-run --Werror "${files[@]}"
    echo "clang-format: ${#files[@]} files clean"
    ;;
  tidy)
    build="${2:?build dir with compile_commands.json}"
    cat >"$tmp/bad_naming.cc" <<'CC'
namespace marketlake {
class bad_class_name {
 public:
  int BadMember = 0;
};
int bad_function_name() { return 1; }
}  // namespace marketlake
CC
    if clang-tidy --quiet --config-file="$root/.clang-tidy" "$tmp/bad_naming.cc" -- -std=c++20 \
        >"$tmp/tidy.out" 2>&1; then
      echo "check_style: clang-tidy did not flag known-bad names" >&2
      cat "$tmp/tidy.out" >&2
      exit 1
    fi
    grep -q "invalid case style" "$tmp/tidy.out" || {
      echo "check_style: clang-tidy failed for another reason:" >&2
      cat "$tmp/tidy.out" >&2
      exit 1
    }
    mapfile -t files < <(git ls-files 'src/*.cc' 'tools/*.cc')
    printf '%s\n' "${files[@]}" | xargs -P "${ML_JOBS:-$(nproc)}" -n 4 \
      clang-tidy --quiet -p "$build" --extra-arg=-Wno-unknown-warning-option 2>/dev/null
    echo "clang-tidy: ${#files[@]} files clean"
    ;;
  *)
    echo "usage: $0 format | tidy BUILD_DIR" >&2
    exit 2
    ;;
esac
