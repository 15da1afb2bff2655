#!/usr/bin/env bash
# Installs everything marketlake needs to build, test and benchmark. Idempotent:
# a second run does nothing it does not have to.
#
#   scripts/setup.sh            Debian packages + the pinned .venv
#   SKIP_APT=1 scripts/setup.sh only the .venv (no root needed)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

apt_packages=(
  cmake g++ ninja-build pkg-config
  libcurl4-openssl-dev libssl-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  libfmt-dev libspdlog-dev libgtest-dev libgmock-dev libbenchmark-dev
  libhowardhinnant-date-dev clang clang-format clang-tidy libclang-rt-14-dev
  postgresql-15 libpq-dev python3-venv tzdata zstd
)

if [[ "${SKIP_APT:-0}" != 1 ]]; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    sudo_cmd=()
    [[ "$(id -u)" == 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

lock=tools/python/requirements.lock
stamp=.venv/.lock.sha256
want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: creating .venv from $lock" >&2
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q --require-hashes -r "$lock"
  echo "$want" >"$stamp"
fi
