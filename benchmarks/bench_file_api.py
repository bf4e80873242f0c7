"""The upload API with a city-scale file: ``POST /api/v1/submissions`` of a 10^6-cell CSV (issue 16 item 4).

    .venv/bin/python benchmarks/bench_file_api.py [--cells 1e6] [--repeat 3]

Setup (not timed): SQLite in a temporary data directory, the hierarchy of the generated city (13,889
Baublöcke for 10^6 cells), a submitter with an API token; ``gunicorn -w 2 -k gthread --threads 4`` on
127.0.0.1 (``publisher:create_app()``, default settings otherwise). Timed: the whole HTTP request from the
client (upload of the multipart body, reading, checks, the level walk, storing raw file, artifact and report,
the draft with its audit row) until the 201 answer. Each upload goes to a series of its own. The pandas floor
(``bench_file_floor.py``, faster engine) runs on the same file in the same run, for a ratio.
Results: ``benchmarks/results/api-<UTC date>.json`` and ``.md``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
TARGET_SECONDS = 10.0
sys.path.insert(0, str(HERE))

from bench_file import generate, timed  # noqa: E402
from bench_file_pages import GUNICORN, _free_port, stop  # noqa: E402


def setup(data_dir: Path, hierarchy: Path) -> tuple[dict, str, int]:
    from publisher import create_app
    from publisher.migrations import upgrade
    from publisher.services import accounts, open_ctx, reference

    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{data_dir / 'freigabe.sqlite3'}"
    upgrade(url)
    env = dict(os.environ, FREIGABE_DATABASE_URL=url, FREIGABE_DATA_DIR=str(data_dir),
               FREIGABE_SECRET_KEY="bench-api-secret-key-not-for-production", FREIGABE_SESSION_COOKIE_SECURE="0")
    app = create_app({"DATABASE_URL": url, "DATA_DIR": str(data_dir), "SECRET_KEY": env["FREIGABE_SECRET_KEY"]})
    with open_ctx(app) as c:
        reference.ensure_default_rule_set(c)
        h = reference.import_hierarchy(c, None, hierarchy.read_bytes(), hierarchy.name, "benchstadt")
        accounts.create_user(c, None, "sabine", "submitter", password="Benchmark-Passwort-2026")
        _, token = accounts.create_token(c, None, "sabine")
        return env, token, h.id


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload(port: int, token: str, hierarchy_id: int, data: bytes, i: int) -> dict:
    meta = {"title": f"Benchmark {i}", "reference_period": "2026-07", "description": "Lasttest",
            "keywords": ["Test"], "source": "Statistikstelle", "contact": "statistik@example.org",
            "licence": "dl-de/by-2-0", "audience": "public"}
    body, ctype = multipart({"metadata": json.dumps(meta), "hierarchy": str(hierarchy_id),
                             "series": f"benchmark-{i}-{uuid.uuid4().hex[:6]}"}, "tabelle.csv", data)
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("POST", "/api/v1/submissions", body=body,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": ctype})
    r = conn.getresponse()
    answer = r.read()
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "status": r.status}
    if r.status == 201:
        d = json.loads(answer)
        check = d.get("check") or {}
        out.update(outcome=check.get("outcome"), level=check.get("level"))
    else:
        out["error"] = answer[:500].decode(errors="replace")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--out-dir", default=str(RESULTS))
    args = ap.parse_args(argv)
    table, hier, n = generate(args.cells, args.seed)
    data = table.read_bytes()
    tmp = Path(tempfile.mkdtemp(prefix="freigabe-bench-api-"))
    env, token, hid = setup(tmp / "data", hier)
    port = _free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), *GUNICORN, "--timeout", "300",
                             "-b", f"127.0.0.1:{port}", "publisher:create_app()"], env=env, cwd=ROOT,
                            stdout=open(tmp / "gunicorn.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    uploads, floors = [], []
    try:
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/releases")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        for i in range(args.repeat):
            res = upload(port, token, hid, data, i)
            uploads.append(res)
            print(f"upload {i + 1}/{args.repeat}: {res['seconds']:.2f} s, HTTP {res['status']}", file=sys.stderr,
                  flush=True)
            fl = timed([sys.executable, str(HERE / "bench_file_floor.py"), str(table), str(hier),
                        str(tmp / f"floor-{i}"), "--engine", "pyarrow"], 600)
            floors.append(fl)
            print(f"floor  {i + 1}/{args.repeat}: {fl.get('seconds', 0):.2f} s", file=sys.stderr, flush=True)
    finally:
        stop(proc)
    ok = [u["seconds"] for u in uploads if u["status"] == 201]
    fl_s = [f["seconds"] for f in floors if "seconds" in f]
    med = statistics.median(ok) if ok else None
    ratio = med / statistics.median(fl_s) if ok and fl_s else None
    now = dt.datetime.now(dt.timezone.utc)
    meta = {"date": now.strftime("%Y-%m-%d"), "timestamp": now.isoformat(timespec="seconds"),
            "load": Path("/proc/loadavg").read_text().split()[0], "cells": n, "file_bytes": len(data),
            "command": " ".join(["python benchmarks/bench_file_api.py", *(argv if argv is not None else sys.argv[1:])]),
            "gunicorn": " ".join(GUNICORN) + " (timeout 300)"}
    checks = [{"target": f"API check of a {n:,}-cell file within {TARGET_SECONDS:g} s (median)",
               "value": med or float("inf"), "ok": bool(ok) and med <= TARGET_SECONDS and len(ok) == len(uploads)}]
    md = [f"# Upload API benchmark {meta['date']}", "",
          f"`POST /api/v1/submissions` of a {n:,}-cell long CSV ({len(data) / 2**20:.0f} MiB), gunicorn "
          f"`{meta['gunicorn']}`, SQLite; load average {meta['load']} after the run. Command: `{meta['command']}`.",
          "", "| upload | seconds | HTTP | outcome / level | pandas floor s (same file, same run) |",
          "|---:|---:|---:|---|---:|"]
    for i, (u, f) in enumerate(zip(uploads, floors), start=1):
        md.append(f"| {i} | {u['seconds']:.2f} | {u['status']} | {u.get('outcome')} / {u.get('level')} | "
                  f"{f.get('seconds', float('nan')):.2f} |")
    md += ["", f"Median {med:.2f} s" + (f"; {ratio:.2f}x the pandas floor reading and walking the same file" if ratio
                                        else "") if med else "No successful upload.", ""]
    md += [f"- {'PASS' if c['ok'] else 'MISS'}: {c['target']} (measured {c['value']:.2f} s)" for c in checks]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"api-{meta['date']}"
    stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "uploads": uploads, "floors": floors,
                                                     "median_seconds": med, "ratio_to_floor": ratio,
                                                     "checks": checks}, indent=1), encoding="utf-8")
    stem.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
