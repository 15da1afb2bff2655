"""Running the marketlake binary from CLI tests: never a crash, and ok() for success."""
from __future__ import annotations

import subprocess


def run(bin_path, *args, cwd=None, env=None, timeout=300):
    p = subprocess.run([str(bin_path), *map(str, args)], capture_output=True, cwd=cwd, env=env,
                       timeout=timeout)
    # Never a crash: a signal shows as a negative return code (or 128+N from a shell).
    assert p.returncode >= 0, f"killed by signal {-p.returncode}: {args}"
    assert p.returncode not in (134, 139), f"crashed: {args}: {p.stderr!r}"
    return p


def ok(bin_path, *args, **kw):
    p = run(bin_path, "-q", *args, **kw)
    assert p.returncode == 0, f"{args}: rc={p.returncode} {p.stderr.decode(errors='replace')}"
    return p


def fails(bin_path, *args, code, category, **kw):
    """Runs a command that must fail with exit `code` and one error line of `category`."""
    p = run(bin_path, *args, **kw)
    err = p.stderr.decode(errors="replace")
    assert p.returncode == code, f"{args}: rc={p.returncode} {err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"marketlake: error: {category}: "), err
    return lines[0]
