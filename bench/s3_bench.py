#!/usr/bin/env python3
"""Object storage: one object to and from a loopback S3 server (moto), marketlake vs boto3.

    .venv/bin/python bench/s3_bench.py                  # 1 GiB (the reference run)
    .venv/bin/python bench/s3_bench.py --size-mib 256   # quicker
    .venv/bin/python bench/s3_bench.py --size-mib 32 --runs 1 --no-readme   # smoke run

Starts `moto_server` on 127.0.0.1 (objects live in its memory: the script deletes each
uploaded object before the next run), writes a file of random bytes into bench/out/, then
times, per operation, the median of --runs whole processes of:
  * `marketlake -q cp FILE src:key` / `marketlake -q cp src:key FILE`, where `src` is a
    source with endpoint_url and keys; cp uploads go through marketlake's multipart writer
    (8 MiB parts, 8 in flight), to a plain source and, as a second row, to one with
    `sse: AES256`; downloads are ranged GETs of 16 MiB, 8 in flight, written in order;
  * boto3 `upload_file` / `download_file` with the default TransferConfig (8 MiB parts,
    10 threads) in a fresh `python -c` process.
Every download is checked against the file (size and SHA-256). Ratios are boto3 /
marketlake: above 1 means marketlake is faster. Results go to stdout as markdown and, unless
--no-readme, into bench/README.md as the section "## Object storage: ..." (replaced if
present, else appended at the end; other sections are left alone).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BUCKET = "ml-bench"
HEADING = "## Object storage: 1 GiB to and from a loopback S3 server"
MiB = 1 << 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto():
    moto = ROOT / ".venv/bin/moto_server"
    port = free_port()
    proc = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if time.time() > deadline:
                proc.terminate()
                sys.exit("moto_server did not start")
            time.sleep(0.1)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 * MiB):
            h.update(chunk)
    return h.hexdigest()


def timed(cmd, env) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, env=env)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {cmd}: {p.stderr.decode(errors='replace')}")
    return dt


BOTO = """
import sys, boto3
from botocore.config import Config
c = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='testing', aws_secret_access_key='testing',
                 config=Config(s3={'addressing_style': 'path'}))
if sys.argv[2] == 'up':
    c.upload_file(sys.argv[3], sys.argv[4], sys.argv[5])
else:
    c.download_file(sys.argv[4], sys.argv[5], sys.argv[3])
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bin", default=str(ROOT / "build/release/tools/marketlake/marketlake"))
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    if not Path(args.bin).exists():
        sys.exit(f"marketlake not built: {args.bin} (or pass --bin)")

    import boto3  # noqa: F401  (fail early when missing)

    out = ROOT / "bench/out"
    out.mkdir(parents=True, exist_ok=True)
    src = out / f"s3bench-{args.size_mib}MiB.bin"
    if not src.exists() or src.stat().st_size != args.size_mib * MiB:
        with open(src, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(MiB))
    digest = sha256(src)
    dst = out / "s3bench-download.bin"

    proc, endpoint = start_moto()
    try:
        import boto3

        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket=BUCKET)
        config = out / "s3bench.yaml"
        config.write_text(f"""sources:
  plain:
    bucket: {BUCKET}
    endpoint_url: {endpoint}
    access_key_id: testing
    secret_access_key: testing
    region: us-east-1
    provider: minio
    retry: {{request_timeout: 60}}
  sse:
    bucket: {BUCKET}
    endpoint_url: {endpoint}
    access_key_id: testing
    secret_access_key: testing
    region: us-east-1
    provider: minio
    sse: AES256
    retry: {{request_timeout: 60}}
""")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MARKETLAKE_"))}
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        ml = [args.bin, "-q", "--config", str(config), "cp"]
        boto = [PY, "-c", BOTO, endpoint]

        def upload(cmd, key):
            times = []
            for _ in range(args.runs):
                times.append(timed(cmd, env))
                size = s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
                assert size == args.size_mib * MiB, (key, size)
                s3.delete_object(Bucket=BUCKET, Key=key)
            return statistics.median(times)

        def download(cmd):
            times = []
            for i in range(args.runs):
                if dst.exists():
                    dst.unlink()
                times.append(timed(cmd, env))
                if i == 0:
                    assert sha256(dst) == digest, "download differs from the upload"
                else:
                    assert dst.stat().st_size == args.size_mib * MiB
            dst.unlink()
            return statistics.median(times)

        rows = []
        t_boto = upload(boto + ["up", str(src), BUCKET, "up-boto"], "up-boto")
        t_ml = upload(ml + [str(src), "plain:up-ml"], "up-ml")
        t_own = upload(ml + [str(src), "sse:up-own"], "up-own")
        rows.append(("upload (plain source)", t_ml, t_boto))
        rows.append(("upload (sse: AES256)", t_own, t_boto))
        s3.upload_file(str(src), BUCKET, "down")
        t_boto = download(boto + ["down", str(dst), BUCKET, "down"])
        t_ml = download(ml + ["plain:down", str(dst)])
        rows.append(("download", t_ml, t_boto))
        s3.delete_object(Bucket=BUCKET, Key="down")
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    mib = args.size_mib
    lines = [
        "| operation | marketlake s | MiB/s | boto3 s | MiB/s | boto3 / marketlake |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, m, b in rows:
        lines.append(f"| {name} | {m:.2f} | {mib / m:.0f} | {b:.2f} | {mib / b:.0f} | "
                     f"{b / m:.2f} |")
    table = "\n".join(lines)
    cpus = os.cpu_count()
    load = os.getloadavg()[0]
    note = (f"{mib} MiB object, median of {args.runs} whole-process runs, {platform.machine()}, "
            f"{cpus} cores, load average {load:.1f} at the end, moto_server on 127.0.0.1.")
    print(table)
    print()
    print(note)
    if args.no_readme:
        return

    write_readme(table, note)


def write_readme(table: str, note: str) -> None:
    """Puts the section into bench/README.md: replaced when present, else appended."""
    section = f"""{HEADING}

`bench/s3_bench.py` uploads and downloads one object of random bytes to and from moto's
S3 server on loopback: `marketlake cp` against boto3's `upload_file` / `download_file` with
the default `TransferConfig` (8 MiB parts, 10 threads), each a fresh process, median of 3.
`marketlake cp` uploads to S3 with marketlake's multipart writer (8 MiB parts, at most 8 in
flight, memory bounded by 9 parts), to a plain source and to one with `sse: AES256` (moto
records but does not perform the encryption); downloads are 16 MiB ranged GETs through
Arrow's S3 reader, 8 in flight, written in order. Both clients get a 60 s read timeout
(boto3's default; the AWS C++ SDK's 3 s is exceeded by moto's ranged GETs at 1 GiB). Every
download is checked against the source (SHA-256). Ratios are boto3 / marketlake: above 1 means
marketlake is faster. moto is a Python server that keeps objects in memory and shares the
machine's cores with the clients, so this compares clients against the same (slow) server,
not S3's throughput. moto serves a ranged GET by reading the whole object and slicing it,
so a download costs it about (number of GETs) x (object size): marketlake's 16 MiB ranges
need half the GETs of boto3's 8 MiB ones, and that, not client speed, is most of the
download ratio. boto3 also sends a CRC32 per part, which moto verifies; marketlake's writer
sends none (SigV4 payload hash only over http).

```sh
.venv/bin/python bench/s3_bench.py                 # 1 GiB
.venv/bin/python bench/s3_bench.py --size-mib 256  # quicker
```

{note}

{table}
"""
    readme = ROOT / "bench/README.md"
    text = readme.read_text() if readme.exists() else ""
    if HEADING in text:
        start = text.index(HEADING)
        nxt = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section + (text[nxt + 1:] if nxt != -1 else "")
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + section
    readme.write_text(text)


if __name__ == "__main__":
    main()
