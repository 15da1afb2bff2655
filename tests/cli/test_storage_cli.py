"""The storage verbs of the CLI: ls, cp, rm, health.

Against local directories and against S3 (moto's server on a loopback port, reached through a
configuration file with endpoint_url and ${ENV} credentials, and through s3:// URIs with
AWS_ENDPOINT_URL). Exit codes and the one-line error contract: a failed command prints exactly
one line "marketlake: error: <category>: <message>" on stderr.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STORAGE_COMMANDS = ["ls", "cp", "rm", "health"]
MOTO_BUCKET = BUCKET = "ml-cli"


@pytest.fixture()
def env(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MARKETLAKE_"))}
    e.update({
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "HOME": str(tmp_path / "home"),  # no user configuration leaks in
    })
    return e


@pytest.fixture()
def config(tmp_path, moto, request):
    prefix = f"t-{request.node.name}".replace("[", "-").replace("]", "")
    path = tmp_path / "ml.yaml"
    path.write_text(f"""sources:
  lake:
    bucket: {BUCKET}
    prefix: {prefix}
    endpoint_url: {moto}
    access_key_id: ${{AWS_ACCESS_KEY_ID}}
    secret_access_key: ${{AWS_SECRET_ACCESS_KEY}}
    region: us-east-1
    provider: minio
    retry: {{max_attempts: 2, connect_timeout: 2}}
  disk:
    path: {tmp_path / "disk"}
""")
    return path


def run(bin_path, *args, env=None, cwd=None, timeout=120):
    p = subprocess.run([str(bin_path), *map(str, args)], capture_output=True, env=env,
                       cwd=cwd, timeout=timeout)
    assert p.returncode >= 0, f"killed by signal {-p.returncode}: {args}"
    return p


def assert_one_line_error(p, code, category, *fragments):
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    err = p.stderr.decode()
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"marketlake: error: {category}: "), err
    for f in fragments:
        assert f in lines[0], (f, err)
    return lines[0]


@pytest.mark.parametrize("command", STORAGE_COMMANDS)
def test_help_has_examples(marketlake_bin, command):
    p = run(marketlake_bin, command, "--help")
    assert p.returncode == 0
    out = p.stdout.decode()
    assert "Examples:" in out
    assert f"marketlake {command}" in out or f"ls " in out


def test_local_ls_cp_rm(marketlake_bin, tmp_path, env):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.bin").write_bytes(b"x" * 1000)
    (src / "sub").mkdir()
    (src / "sub" / "b with space+plus é.txt").write_text("hello")

    p = run(marketlake_bin, "ls", src, env=env)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert any(l.split()[0] == "1000" and l.endswith("/a.bin") for l in lines), lines
    assert any(l.split()[0] == "DIR" and l.endswith("/sub/") for l in lines), lines
    assert not any("b with space" in l for l in lines)  # not recursive

    p = run(marketlake_bin, "ls", src, "--recursive", "--json", env=env)
    entries = [json.loads(l) for l in p.stdout.decode().splitlines()]
    by_name = {Path(e["path"].rstrip("/")).name: e for e in entries}
    assert by_name["a.bin"]["size"] == 1000 and by_name["a.bin"]["type"] == "file"
    assert by_name["a.bin"]["mtime"].endswith("Z")
    assert by_name["sub"]["type"] == "directory" and by_name["sub"]["size"] is None
    assert by_name["b with space+plus é.txt"]["size"] == 5

    p = run(marketlake_bin, "ls", src, "--recursive", "--limit", "1", env=env)
    assert len(p.stdout.decode().splitlines()) == 1

    dst = tmp_path / "out"
    p = run(marketlake_bin, "cp", src / "a.bin", dst / "deep" / "a.copy", env=env)
    assert p.returncode == 0, p.stderr
    assert (dst / "deep" / "a.copy").read_bytes() == b"x" * 1000
    # Into an existing directory keeps the name; no temporary files remain.
    p = run(marketlake_bin, "cp", src / "a.bin", dst / "deep", env=env)
    assert p.returncode == 0, p.stderr
    assert sorted(x.name for x in (dst / "deep").iterdir()) == ["a.bin", "a.copy"]

    p = run(marketlake_bin, "rm", dst / "deep", env=env)
    assert_one_line_error(p, 2, "invalid argument", "--recursive")
    assert (dst / "deep" / "a.bin").exists()
    assert run(marketlake_bin, "rm", dst / "deep" / "a.bin", env=env).returncode == 0
    assert not (dst / "deep" / "a.bin").exists()
    assert run(marketlake_bin, "rm", dst, "--recursive", env=env).returncode == 0
    assert not dst.exists()


def test_local_errors(marketlake_bin, tmp_path, env):
    missing = tmp_path / "nope.parquet"
    assert_one_line_error(run(marketlake_bin, "ls", missing, env=env), 3, "not found",
                          str(missing))
    assert_one_line_error(run(marketlake_bin, "rm", missing, env=env), 3, "not found")
    assert_one_line_error(run(marketlake_bin, "cp", missing, tmp_path / "x", env=env), 3,
                          "not found", str(missing))
    assert not (tmp_path / "x").exists()
    assert_one_line_error(run(marketlake_bin, "cp", tmp_path, tmp_path / "y", env=env), 2,
                          "invalid argument", "is a directory")
    assert_one_line_error(run(marketlake_bin, "ls", "nosuchsource:x", env=env), 3,
                          "not found", "unknown source 'nosuchsource'")
    assert_one_line_error(run(marketlake_bin, "ls", "ftp://h/x", env=env), 2,
                          "invalid argument")
    p = run(marketlake_bin, "ls", env=env)  # missing argument: usage error
    assert p.returncode == 2


def test_failed_local_copy_leaves_nothing(marketlake_bin, tmp_path, env):
    # A destination that cannot be created: the copy fails and leaves no temporary file.
    (tmp_path / "src.bin").write_bytes(b"abc")
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    p = run(marketlake_bin, "cp", tmp_path / "src.bin", blocker / "x.bin", env=env)
    assert p.returncode != 0
    assert len(p.stderr.decode().strip().splitlines()) == 1
    assert sorted(x.name for x in tmp_path.iterdir()) == ["file-not-dir", "src.bin"]


def test_config_errors(marketlake_bin, tmp_path, env):
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  s:\n    bucket: b\n    secret_access_key: SUPERSECRET123\n"
                   "    bukcet: typo\n")
    line = assert_one_line_error(run(marketlake_bin, "--config", bad, "ls", "s:", env=env), 2,
                                 "invalid argument", "bad.yaml:5", "sources.s.bukcet")
    assert "SUPERSECRET123" not in line
    p = run(marketlake_bin, "--config", tmp_path / "absent.yaml", "ls", "s:", env=env)
    assert_one_line_error(p, 3, "not found", "absent.yaml")
    # MARKETLAKE_CONFIG works like --config.
    p = run(marketlake_bin, "ls", "s:", env={**env, "MARKETLAKE_CONFIG": str(bad)})
    assert_one_line_error(p, 2, "invalid argument", "bad.yaml:5")


def test_s3_roundtrip_through_source(marketlake_bin, tmp_path, env, config):
    data = os.urandom(300_000)
    (tmp_path / "t.parquet").write_bytes(data)
    c = ["--config", config]
    p = run(marketlake_bin, *c, "cp", tmp_path / "t.parquet", "lake:trades/2024/t.parquet",
            env=env)
    assert p.returncode == 0, p.stderr
    p = run(marketlake_bin, *c, "cp", tmp_path / "t.parquet", "lake:trades/2024/", env=env)
    assert p.returncode == 0, p.stderr  # into a prefix: keeps the name (same key)
    p = run(marketlake_bin, *c, "cp", tmp_path / "t.parquet", "lake:k with space+é.bin",
            env=env)
    assert p.returncode == 0, p.stderr

    p = run(marketlake_bin, *c, "ls", "lake:", "--recursive", "--json", env=env)
    assert p.returncode == 0, p.stderr
    entries = [json.loads(l) for l in p.stdout.decode().splitlines()]
    files = {e["path"]: e for e in entries if e["type"] == "file"}
    assert set(files) == {"lake:trades/2024/t.parquet", "lake:k with space+é.bin"}, files
    assert files["lake:trades/2024/t.parquet"]["size"] == len(data)

    # S3 -> S3, S3 -> local, local compare.
    assert run(marketlake_bin, *c, "cp", "lake:trades/2024/t.parquet", "lake:copy.parquet",
               env=env).returncode == 0
    assert run(marketlake_bin, *c, "cp", "lake:copy.parquet", "disk:back/t.parquet",
               env=env).returncode == 0
    assert (tmp_path / "disk" / "back" / "t.parquet").read_bytes() == data

    # rm: a prefix needs --recursive.
    p = run(marketlake_bin, *c, "rm", "lake:trades", env=env)
    assert_one_line_error(p, 2, "invalid argument", "lake:trades", "--recursive")
    assert run(marketlake_bin, *c, "rm", "lake:trades", "--recursive", env=env).returncode == 0
    assert_one_line_error(run(marketlake_bin, *c, "ls", "lake:trades", env=env), 3,
                          "not found", "lake:trades")
    assert_one_line_error(run(marketlake_bin, *c, "cp", "lake:nope.bin", tmp_path / "n",
                              env=env), 3, "not found", "lake:nope.bin")
    assert not (tmp_path / "n").exists()


def test_s3_uris_with_environment_endpoint(marketlake_bin, tmp_path, env, moto):
    e = {**env, "AWS_ENDPOINT_URL": moto, "AWS_REGION": "us-east-1"}
    (tmp_path / "f.txt").write_text("plain s3 uri")
    key = f"s3://{BUCKET}/uri-test/f.txt"
    assert run(marketlake_bin, "cp", tmp_path / "f.txt", key, env=e).returncode == 0
    p = run(marketlake_bin, "ls", f"s3://{BUCKET}/uri-test/", env=e)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().split()[0] == "12"
    assert p.stdout.decode().strip().endswith(key)
    # Credentials in the URI never reach the output.
    p = run(marketlake_bin, "ls", f"s3://testing:SECRETVALUE@{BUCKET}/uri-test/missing",
            env=e)
    line = assert_one_line_error(p, 3, "not found")
    assert "SECRETVALUE" not in line
    assert run(marketlake_bin, "rm", key, env=e).returncode == 0


def test_health(marketlake_bin, tmp_path, env, config):
    c = ["--config", config]
    p = run(marketlake_bin, *c, "health", "--json", env=env)
    assert p.returncode == 0, p.stderr
    reports = {r["target"]: r for r in map(json.loads, p.stdout.decode().splitlines())}
    assert set(reports) == {"disk:", "lake:"}
    lake = {ch["name"]: ch for ch in reports["lake:"]["checks"]}
    assert [lake[n]["state"] for n in ("resolve", "reach", "list", "write")] == ["ok"] * 4
    assert lake["cas"]["state"] in ("ok", "warn")
    assert "honoured" in lake["cas"]["detail"]
    assert "testing" not in json.dumps(reports)  # no credential values anywhere

    p = run(marketlake_bin, *c, "health", "lake", "--no-write", env=env)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert "healthy" in out and "--no-write" in out
    # Nothing was left behind by the probes.
    p = run(marketlake_bin, *c, "ls", "lake:", "--recursive", env=env)
    assert ".marketlake-" not in p.stdout.decode()

    dead = tmp_path / "dead.yaml"
    dead.write_text("sources:\n  dead:\n    bucket: b\n    endpoint_url: http://127.0.0.1:1\n"
                    "    retry: {max_attempts: 1, connect_timeout: 1}\n")
    p = run(marketlake_bin, "--config", dead, "health", "dead", env=env)
    assert p.returncode == 5, p.stderr
    assert "UNHEALTHY" in p.stdout.decode()
    assert_one_line_error(p, 5, "I/O error", "unreachable")
