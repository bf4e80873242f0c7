"""Bounded load test on loopback: gunicorn + PostgreSQL, N concurrent clients, fixed request count and
time limit.  Mix per client iteration: an API submission (upload, rules run), its submission to the DPO,
the DPO's approval (API, another account), two public pages and two downloads of published files.

Reports throughput, p50/p95/max latency per kind, errors and lost submissions (every 201/200 the clients saw
must be in the database in the state they were told).  Starts its own PostgreSQL cluster (tests/conftest.py
PgCluster) and its own gunicorn on 127.0.0.1, stops both.

    .venv/bin/python benchmarks/load.py [--clients 20] [--requests 2100] [--time-limit 180] [--workers 4]
    scripts/load.sh        # the same, writing benchmarks/results/load-<date>.json|md
"""
from __future__ import annotations

from publisher.manifest import current_sha
import argparse
import datetime as dt
import importlib.util
import io
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _pg_cluster():
    spec = importlib.util.spec_from_file_location("_load_root_conftest", ROOT / "tests" / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.PgCluster(), mod._free_port()


def _pct(values, p):
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * (len(s) - 1)))))
    return s[k]


def prepare(env: dict, n_published: int = 5):
    """Users, tokens, hierarchy and a few published releases (downloads), through the real services."""
    from publisher import create_app, worker
    from publisher.db import get_db
    from publisher.demo import counts_long, german_csv, small_city
    from publisher.models import PublicationJob
    from publisher.services import accounts, intake, open_ctx, reference, review
    from sqlalchemy import select

    app = create_app({"DATABASE_URL": env["FREIGABE_DATABASE_URL"], "DATA_DIR": env["FREIGABE_DATA_DIR"],
                      "SECRET_KEY": env["FREIGABE_SECRET_KEY"], "SESSION_COOKIE_SECURE": False})
    city = small_city()
    with open_ctx(app) as c:
        reference.ensure_default_rule_set(c)
        h = reference.import_hierarchy(c, None, city.hierarchy_csv(), "stadt.csv", "musterstadt")
        sub_user, _ = accounts.create_user(c, None, "sabine", "submitter", password="Lasttest-Passwort-2026")
        appr_user, _ = accounts.create_user(c, None, "dora", "approver", password="Lasttest-Passwort-2026")
        _, sub_token = accounts.create_token(c, None, "sabine")
        _, appr_token = accounts.create_token(c, None, "dora")
        for i in range(n_published):
            rows = counts_long(city, ["2026-07"], seed=500 + i, small_cells=True)
            data = german_csv(["baublock", "monat", "aufenthaltsstatus", "anzahl"], rows)
            sub = intake.create_draft(c, sub_user, data=data, filename="t.csv", metadata=_meta(f"Vorab {i}"),
                                      mapping=_MAPPING, series=f"vorab-{i}", hierarchy=h.id)
            review.submit(c, sub_user, sub.id)
            review.approve(c, appr_user, sub.id, current_sha(c, sub))
        hierarchy_id = h.id
    worker.run(app, once=True)
    downloads, releases = [], []
    with open_ctx(app) as c:
        for job in c.session.execute(select(PublicationJob).where(PublicationJob.state == "done")).scalars():
            r = job.result or {}
            releases.append(job.submission_id)
            for fn in (r.get("files") or {}):
                downloads.append(f"/downloads/{r['topic']}/{r['series']}/{r['version']}/{fn}")
    get_db(app).dispose()
    return {"sub_token": sub_token, "appr_token": appr_token, "hierarchy": hierarchy_id,
            "downloads": sorted(downloads), "releases": sorted(set(releases)), "city": city}


_MAPPING = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
            "layout": "long"}


def _meta(title):
    return {"title": title, "reference_period": "2026-07", "description": "Lasttest", "keywords": ["Test"],
            "source": "Statistikstelle", "contact": "Statistik <statistik@example.org>", "audience": "public",
            "groups": []}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=2100, help="total requests (fixed count)")
    ap.add_argument("--time-limit", type=float, default=180.0, help="seconds; the run stops at this limit")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    ap.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (gthread)")
    ap.add_argument("--out", default=None, help="write <out>.json and <out>.md")
    args = ap.parse_args(argv)

    from publisher.demo import counts_long, german_csv
    from publisher.migrations import upgrade

    cluster, port = _pg_cluster()
    tmp = Path(tempfile.mkdtemp(prefix="freigabe-load-"))
    gunicorn = None
    try:
        url = cluster.start()
        upgrade(url)
        env = dict(os.environ, FREIGABE_DATABASE_URL=url, FREIGABE_DATA_DIR=str(tmp / "data"),
                   FREIGABE_SECRET_KEY="load-test-secret-key-not-for-production",
                   FREIGABE_SESSION_COOKIE_SECURE="0", FREIGABE_RATE_LIMIT_API="1000000/60",
                   FREIGABE_RATE_LIMIT_LOGIN="1000000/60")
        prep = prepare(env)
        city = prep["city"]
        base = f"http://127.0.0.1:{port}"
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", str(args.workers), "-k", "gthread",
             "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--timeout", "120",
             "--log-level", "warning", "publisher:create_app()"],
            env=env, cwd=ROOT, stdout=open(tmp / "gunicorn.log", "wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        for _ in range(300):
            try:
                if requests.get(base + "/releases", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not come up: " + (tmp / "gunicorn.log").read_text()[-2000:])

        # pre-build the upload bodies (not timed)
        n_iter = args.requests // 7 + args.clients
        bodies = [german_csv(["baublock", "monat", "aufenthaltsstatus", "anzahl"],
                             counts_long(city, ["2026-07"], seed=1000 + i, small_cells=True)) for i in range(n_iter)]
        pages = ["/", "/releases", "/downloads"] + [f"/releases/{r}" for r in prep["releases"]]
        lat: dict[str, list[float]] = {k: [] for k in ("submission", "submit", "review", "page", "download")}
        errors: list[dict] = []
        created, approved = [], []
        lock = threading.Lock()
        budget = {"left": args.requests}
        counter = iter(range(10**9))
        t_end = time.monotonic() + args.time_limit

        def take() -> bool:
            with lock:
                if budget["left"] <= 0 or time.monotonic() > t_end:
                    return False
                budget["left"] -= 1
                return True

        def timed(session, kind, method, path, ok, **kw):
            t0 = time.perf_counter()
            try:
                r = session.request(method, base + path, timeout=120, **kw)
                status, body = r.status_code, r
            except requests.RequestException as exc:
                status, body = None, exc
            dtm = time.perf_counter() - t0
            with lock:
                lat[kind].append(dtm)
                if status not in ok:
                    errors.append({"kind": kind, "path": path, "status": status,
                                   "body": (body.text[:300] if hasattr(body, "text") else repr(body)[:300])})
            return body if status in ok else None

        def client(n):
            s = requests.Session()
            sub_h = {"Authorization": f"Bearer {prep['sub_token']}"}
            appr_h = {"Authorization": f"Bearer {prep['appr_token']}"}
            k = 0
            while True:
                i = next(counter)
                if not take():
                    return
                r = timed(s, "submission", "POST", "/api/v1/submissions", (201,), headers=sub_h,
                          files={"file": (f"t{i}.csv", io.BytesIO(bodies[i % len(bodies)]), "text/csv")},
                          data={"metadata": json.dumps(_meta(f"Last {i}")), "mapping": json.dumps(_MAPPING),
                                "series": f"last-{i}", "hierarchy": str(prep["hierarchy"])})
                if r is not None:
                    j = r.json()
                    sid, sha = j["id"], j["check"]["artifact_sha256"]
                    with lock:
                        created.append(sid)
                    if take() and timed(s, "submit", "POST", f"/api/v1/submissions/{sid}/submit", (200,),
                                        headers=sub_h, json={}) is not None:
                        if take() and timed(s, "review", "POST", f"/api/v1/submissions/{sid}/approve", (200,),
                                            headers=appr_h, json={"artifact_sha256": sha,
                                                                  "comment": "ok"}) is not None:
                            with lock:
                                approved.append(sid)
                for _ in range(2):
                    if not take():
                        return
                    timed(s, "page", "GET", pages[k % len(pages)], (200,))
                    k += 1
                for _ in range(2):
                    if not take():
                        return
                    timed(s, "download", "GET", prep["downloads"][k % len(prep["downloads"])], (200,))
                    k += 1

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        hit_limit = time.monotonic() > t_end

        # lost submissions: every 201 in the database, every approved one approved (no worker runs here)
        from sqlalchemy import create_engine, text

        eng = create_engine(url)
        with eng.connect() as conn:
            states = dict(conn.execute(text("SELECT id, state FROM submissions")).all())
        eng.dispose()
        lost = [sid for sid in created if sid not in states]
        lost_approvals = [sid for sid in approved if states.get(sid) not in ("approved", "publishing", "published")]
        total = sum(len(v) for v in lat.values())
        result = {
            "date": dt.date.today().isoformat(),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
            "setup": {"clients": args.clients, "requests": args.requests, "time_limit_s": args.time_limit,
                      "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread)",
                      "database": "PostgreSQL 15 (own cluster, fsync=off)", "loopback": base},
            "wall_s": round(wall, 2), "stopped_by_time_limit": hit_limit,
            "requests_done": total, "throughput_rps": round(total / wall, 1),
            "per_kind": {k: {"n": len(v), "p50_ms": round(1000 * _pct(v, 50), 1) if v else None,
                             "p95_ms": round(1000 * _pct(v, 95), 1) if v else None,
                             "max_ms": round(1000 * max(v), 1) if v else None,
                             "mean_ms": round(1000 * statistics.fmean(v), 1) if v else None}
                         for k, v in lat.items()},
            "all": {"p50_ms": round(1000 * _pct(sum(lat.values(), []), 50), 1),
                    "p95_ms": round(1000 * _pct(sum(lat.values(), []), 95), 1)},
            "errors": len(errors), "error_samples": errors[:10],
            "submissions_created": len(created), "submissions_approved": len(approved),
            "lost_submissions": len(lost), "lost_approvals": len(lost_approvals),
        }
        print(json.dumps(result, indent=2, ensure_ascii=False))
        if args.out:
            Path(args.out + ".json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
            Path(args.out + ".md").write_text(_markdown(result))
        ok = result["errors"] == 0 and result["lost_submissions"] == 0 and result["lost_approvals"] == 0
        return 0 if ok else 1
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)
                gunicorn.wait()
        cluster.stop()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def _markdown(r: dict) -> str:
    lines = [f"# Load run {r['date']}", "",
             f"Setup: {r['setup']['clients']} concurrent clients, {r['setup']['requests']} requests "
             f"(limit {r['setup']['time_limit_s']} s), gunicorn {r['setup']['gunicorn']}, "
             f"{r['setup']['database']}, loopback; {r['machine']['cpus']} CPUs, Python {r['machine']['python']}.",
             "", f"Wall time {r['wall_s']} s{' (stopped by the time limit)' if r['stopped_by_time_limit'] else ''}; "
             f"{r['requests_done']} requests; **{r['throughput_rps']} requests/s**; "
             f"p50 {r['all']['p50_ms']} ms, p95 {r['all']['p95_ms']} ms.", "",
             "| kind | n | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|---:|"]
    for k, v in r["per_kind"].items():
        lines.append(f"| {k} | {v['n']} | {v['p50_ms']} | {v['p95_ms']} | {v['max_ms']} |")
    lines += ["", f"Errors: **{r['errors']}**. Submissions created {r['submissions_created']}, approved "
              f"{r['submissions_approved']}; lost submissions **{r['lost_submissions']}**, lost approvals "
              f"**{r['lost_approvals']}** (target 0/0).", "",
              "Re-run: `scripts/load.sh` (or `.venv/bin/python benchmarks/load.py --help`).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
