"""Shared by the CLI suites: where the marketlake binary is.

$MARKETLAKE_BIN, else build/release/tools/marketlake/marketlake under the repository root.
"""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def marketlake_bin() -> Path:
    env = os.environ.get("MARKETLAKE_BIN")
    path = Path(env) if env else REPO / "build/release/tools/marketlake/marketlake"
    if not path.exists():
        pytest.skip(f"marketlake binary not built: {path}")
    return path
