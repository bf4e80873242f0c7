"""Public release page vs a bare Flask page of the same size, under the same gunicorn settings (issue 16).

    .venv/bin/python benchmarks/bench_file_pages.py [--seconds 8] [--rounds 3] [--clients 4]

Setup (not timed): the demo city (``publisher.demo.load``: geometries, published series), one more release of
the same series so the page carries the map *and* the time-series chart, published by the real worker into
the download area; SQLite in a temporary data directory.

Two servers on 127.0.0.1, each ``gunicorn -w 2 -k gthread --threads 4`` (the same settings):

* Freigabe (``publisher:create_app()``) serving ``/releases/<id>`` to anonymous clients;
* a bare Flask app (``benchmarks/bench_file_pages.py:bare_app``) whose one route returns a fixed HTML page of
  the release page's size.

Clients: ``--clients`` threads with keep-alive connections (``http.client``), plain GETs (no conditional
requests), for ``--seconds`` per server and round; the rounds alternate the servers and the ratio is
(median Freigabe req/s) / (median bare req/s). A second Freigabe figure counts the same page fetched with
``If-None-Match`` (what browsers and proxies send again): 304 answers.
Results: ``benchmarks/results/pages-<UTC date>.json`` and ``.md``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
TARGET = 0.8
GUNICORN = ["-w", "2", "-k", "gthread", "--threads", "4", "--timeout", "60", "--log-level", "warning"]


def bare_app():
    """The peer: Flask, one route, a fixed page of ``FREIGABE_BENCH_PAGE_BYTES`` bytes (HTML)."""
    from flask import Flask, Response

    size = int(os.environ.get("FREIGABE_BENCH_PAGE_BYTES", "20000"))
    body = ("<!doctype html><html><body>" + "x" * max(0, size - 40) + "</body></html>").encode()
    app = Flask("bare")

    @app.route("/releases/<int:rid>")
    def page(rid: int):
        return Response(body, mimetype="text/html")

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(data_dir: Path) -> tuple[dict, int]:
    """Environment for the Freigabe server and the id of a published release with map and chart."""
    from publisher import create_app, worker
    from publisher.demo import load
    from publisher.migrations import upgrade
    from publisher.models import Submission
    from publisher.services import accounts, open_ctx, review

    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{data_dir / 'freigabe.sqlite3'}"
    upgrade(url)
    env = dict(os.environ, FREIGABE_DATABASE_URL=url, FREIGABE_DATA_DIR=str(data_dir),
               FREIGABE_SECRET_KEY="bench-pages-secret-key-not-for-production", FREIGABE_SESSION_COOKIE_SECURE="0")
    app = create_app({"DATABASE_URL": url, "DATA_DIR": str(data_dir), "SECRET_KEY": env["FREIGABE_SECRET_KEY"],
                      "SESSION_COOKIE_SECURE": False})
    with open_ctx(app) as c:
        load(c)
        dsb = accounts.get_user_by_name(c, "dsb")
        waiting = [s for s in c.session.query(Submission).all() if s.state == "submitted"]
        for s in waiting:  # the August table: a second version of the series (the page then draws a chart)
            from publisher.manifest import current_sha

            review.approve(c, dsb, s.id, current_sha(c, s), "Benchmark")  # the manifest (issue 14)
    while worker.run(app, once=True):
        pass
    with open_ctx(app) as c:
        published = sorted(s.id for s in c.session.query(Submission).all() if s.state == "published")
    if not published:
        raise RuntimeError("nothing was published")
    return env, published[-1]


def start(env: dict, target: str, port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), *GUNICORN, "-b", f"127.0.0.1:{port}",
                             target], env=env, cwd=ROOT, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/releases/1")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{target} did not come up: " + log.read_text()[-2000:])


def stop(proc: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def fetch(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    return r.status, r.read(), dict(r.getheaders())


def load(port: int, path: str, seconds: float, clients: int, headers: dict | None = None) -> dict:
    """Requests per second over ``seconds`` with ``clients`` keep-alive connections; every answer checked."""
    counts, bad = [0] * clients, []
    stop_at = time.perf_counter() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop_at:
            conn.request("GET", path, headers=headers or {})
            r = conn.getresponse()
            body = r.read()
            if r.status not in (200, 304) or (r.status == 200 and not body):
                bad.append(r.status)
            counts[i] += 1
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"requests": sum(counts), "seconds": wall, "rps": sum(counts) / wall, "errors": len(bad)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--out-dir", default=str(RESULTS))
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="freigabe-bench-pages-"))
    env, rid = setup(tmp / "data")
    path = f"/releases/{rid}"
    fport, bport = _free_port(), _free_port()
    servers = []
    try:
        servers.append(start(env, "publisher:create_app()", fport, tmp / "freigabe.log"))
        status, page, headers = fetch(fport, path)
        if status != 200:
            raise RuntimeError(f"release page answered {status}")
        benv = dict(os.environ, FREIGABE_BENCH_PAGE_BYTES=str(len(page)))
        servers.append(start(benv, "benchmarks.bench_file_pages:bare_app()", bport, tmp / "bare.log"))
        etag = headers.get("ETag")
        for port in (fport, bport):  # warm both (imports, first renders)
            load(port, path, 1.0, args.clients)
        runs: dict[str, list[dict]] = {"freigabe": [], "bare": [], "freigabe_conditional": []}
        for r in range(args.rounds):
            for name, port, hdrs in (("freigabe", fport, None), ("bare", bport, None),
                                     ("freigabe_conditional", fport, {"If-None-Match": etag} if etag else None)):
                if name == "freigabe_conditional" and not etag:
                    continue
                res = load(port, path, args.seconds, args.clients, hdrs)
                runs[name].append(res)
                print(f"round {r + 1}/{args.rounds}  {name:22s} {res['rps']:8.1f} req/s  errors {res['errors']}",
                      file=sys.stderr, flush=True)
    finally:
        for p in servers:
            stop(p)
    med = {k: statistics.median(x["rps"] for x in v) for k, v in runs.items() if v}
    # each Freigabe run against the bare run right after it (load from other processes hits both alike)
    paired = [f["rps"] / b["rps"] for f, b in zip(runs["freigabe"], runs["bare"])]
    ratio = statistics.median(paired)
    now = dt.datetime.now(dt.timezone.utc)
    meta = {"date": now.strftime("%Y-%m-%d"), "timestamp": now.isoformat(timespec="seconds"),
            "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.release()}",
            "load": Path("/proc/loadavg").read_text().split()[0], "python": platform.python_version(),
            "command": " ".join(["python benchmarks/bench_file_pages.py", *(argv if argv is not None else sys.argv[1:])]),
            "gunicorn": " ".join(GUNICORN), "page_bytes": len(page), "etag": etag, "clients": args.clients,
            "seconds": args.seconds, "rounds": args.rounds}
    checks = [{"target": f"public release page >= {TARGET}x a bare Flask page of the same size", "value": ratio,
               "ok": ratio >= TARGET},
              {"target": "no errors", "value": float(sum(x["errors"] for v in runs.values() for x in v)),
               "ok": all(x["errors"] == 0 for v in runs.values() for x in v)}]
    md = [f"# Release page benchmark {meta['date']}", "",
          f"Machine: {meta['machine']}, load average {meta['load']} after the run. gunicorn `{meta['gunicorn']}` for "
          f"both; {args.clients} keep-alive clients, {args.seconds:g} s per server and round, {args.rounds} rounds "
          f"(alternating). Page: {len(page):,} bytes. Command: `{meta['command']}`.", "",
          "| server | req/s (median) | rounds |", "|---|---:|---|"]
    for k, v in runs.items():
        if v:
            each = ", ".join(f"{x['rps']:.0f}" for x in v)
            md.append(f"| {k} | {med[k]:.1f} | {each} |")
    md += ["", f"Ratio Freigabe / bare (median over rounds of each Freigabe run / the bare run after it): "
               f"**{ratio:.2f}** (rounds: {', '.join(f'{x:.2f}' for x in paired)}; ratio of the medians "
               f"{med['freigabe'] / med['bare']:.2f})", ""]
    md += [f"- {'PASS' if c['ok'] else 'MISS'}: {c['target']} (measured {c['value']:.2f})" for c in checks]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"pages-{meta['date']}"
    stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "runs": runs, "median_rps": med, "ratio": ratio,
                                                     "paired_ratios": paired,
                                                     "checks": checks}, indent=1), encoding="utf-8")
    stem.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
