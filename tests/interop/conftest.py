"""Shared helpers for the interop suite: marketlake against pyarrow, DuckDB and Polars.

The binary comes from $MARKETLAKE_BIN, else build/release/tools/marketlake/marketlake under
the repository root. Every test works in its own tmp_path; session data lives in a
pytest-managed temporary directory.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]


def binary_path() -> Path:
    env = os.environ.get("MARKETLAKE_BIN")
    return Path(env) if env else REPO / "build/release/tools/marketlake/marketlake"


@pytest.fixture(scope="session")
def ml_bin() -> Path:
    path = binary_path()
    if not path.exists():
        pytest.skip(f"marketlake binary not built: {path}")
    return path


class ML:
    """Runs the marketlake CLI."""

    def __init__(self, path: Path):
        self.path = path

    def run(self, *args, check=True, stdin=None, cwd=None, timeout=300):
        cmd = [str(self.path), "-q", *map(str, args)]
        p = subprocess.run(cmd, capture_output=True, input=stdin, cwd=cwd, timeout=timeout)
        assert p.returncode >= 0 and p.returncode not in (134, 139), (
            f"crashed: {cmd}: rc={p.returncode} {p.stderr.decode(errors='replace')}")
        if check and p.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} failed rc={p.returncode}: {p.stderr.decode(errors='replace')}")
        return p

    def jsonl(self, *args):
        out = self.run(*args).stdout.decode()
        return [json.loads(line) for line in out.splitlines() if line]

    def json(self, *args):
        return json.loads(self.run(*args).stdout)


@pytest.fixture(scope="session")
def ml(ml_bin) -> ML:
    return ML(ml_bin)
