"""A minimal stand-in for the Apache Solr HTTP API, enough for CKAN 2.12 in tests.  NOT a search engine.

Apache Solr has no Debian package here and needs a JVM, so the CKAN test instance (scripts/ckan/start.sh)
talks to this small server instead.  It keeps CKAN's index documents in memory and answers the calls CKAN
(through pysolr) makes, under ``/solr/<core>/``:

* ``GET schema?wt=schema.xml`` and ``admin/file/?file=schema.xml``: a schema whose ``name`` is
  ``ckan-<version>`` (CKAN's start-up version check reads only that attribute).
* ``GET admin/ping``: ``{"status": "OK"}``.
* ``POST update/``: JSON array of documents (pysolr's ``add``; keyed by ``index_id``, else ``id``),
  XML ``<delete><id>…</id></delete>`` / ``<delete><query>…</query></delete>``, ``<commit/>``; JSON
  ``{"delete": …}`` too.  Everything is committed at once.
* ``GET/POST select/``: ``q`` and every ``fq`` are evaluated with a small subset of the Lucene syntax:
  ``*:*``, ``field:value``, ``field:"phrase"``, ``field:(a OR b)``, wildcards ``*``/``?`` in values,
  ``[x TO y]`` ranges (treated as "field present" unless both ends are plain numbers or ISO dates),
  ``+``/``-`` and ``AND``/``OR``/``NOT`` between clauses, parentheses.  A ``q`` without a field (CKAN's
  dismax free-text search) matches documents whose text fields contain every word, case-insensitively.
  ``fl``, ``rows``, ``start``, ``sort`` (by stored fields; ``score`` is ignored) and ``facet.field`` counts
  (with ``facet.mincount``/``facet.limit``) are honoured.

What is *not* implemented or tested: relevance ranking (every match scores 1.0), analysers/stemming,
boosts, ``qf``/``mm``/``bf``, spatial or highlighting features, persistence (a restart forgets the index;
``ckan search-index rebuild`` refills it).  package_show/package_search by id or name, organisation
listings, the ``capacity:public`` and ``permission_labels`` filters CKAN uses for private datasets, and
facets on organisation/tags/licence work, which is what the Freigabe tests need.

Run: ``python solr_standin.py --host 127.0.0.1 --port 8983 [--core ckan] [--schema-version 2.12]``.
Only the standard library is used, so it runs in any Python 3.10+.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TEXT_FIELDS = (
    "name",
    "title",
    "notes",
    "text",
    "tags",
    "res_name",
    "res_description",
    "author",
    "maintainer",
    "organization",
    "groups",
    "extras_*",
)

Doc = dict[str, Any]
Pred = Callable[[Doc], bool]


class Index:
    def __init__(self) -> None:
        self.docs: dict[str, Doc] = {}
        self.lock = threading.Lock()

    def add(self, docs: list[Doc]) -> None:
        with self.lock:
            for doc in docs:
                key = str(doc.get("index_id") or doc.get("id"))
                self.docs[key] = doc

    def delete_ids(self, ids: list[str]) -> None:
        with self.lock:
            for i in ids:
                self.docs.pop(i, None)
                for key in [k for k, d in self.docs.items() if str(d.get("id")) == i]:
                    self.docs.pop(key, None)

    def delete_query(self, q: str) -> None:
        pred = parse_query(q)
        with self.lock:
            for key in [k for k, d in self.docs.items() if pred(d)]:
                self.docs.pop(key, None)

    def search(self, params: dict[str, list[str]]) -> dict[str, Any]:
        q = (params.get("q") or ["*:*"])[0].strip() or "*:*"
        preds = [parse_query(q)] + [parse_query(fq) for fq in params.get("fq", []) if fq.strip()]
        with self.lock:
            hits = [d for d in self.docs.values() if all(p(d) for p in preds)]
        hits = sort_docs(hits, (params.get("sort") or [""])[0])
        start = int((params.get("start") or ["0"])[0] or 0)
        rows = int((params.get("rows") or ["10"])[0] or 10)
        fl = (params.get("fl") or ["*"])[0]
        page = [select_fields(d, fl) for d in hits[start : start + rows]]
        out: dict[str, Any] = {
            "responseHeader": {"status": 0, "QTime": 0, "params": {k: v[-1] for k, v in params.items()}},
            "response": {"numFound": len(hits), "start": start, "docs": page},
        }
        if (params.get("facet") or ["false"])[0] == "true":
            out["facet_counts"] = {
                "facet_queries": {},
                "facet_fields": facets(hits, params),
                "facet_ranges": {},
                "facet_intervals": {},
                "facet_heatmaps": {},
            }
        return out


def select_fields(doc: Doc, fl: str) -> Doc:
    names = [f for f in re.split(r"[\s,]+", fl) if f]
    if not names or "*" in names:
        out = dict(doc)
    else:
        out = {k: v for k, v in doc.items() if any(fnmatch.fnmatchcase(k, n) for n in names)}
    if "score" in names:
        out["score"] = 1.0
    return out


def sort_docs(docs: list[Doc], sort: str) -> list[Doc]:
    keys = []
    for part in [p.strip() for p in sort.split(",") if p.strip()]:
        bits = part.split()
        field, direction = bits[0], (bits[1].lower() if len(bits) > 1 else "asc")
        if field == "score":
            continue
        keys.append((field, direction == "desc"))
    for field, reverse in reversed(keys):
        present = [d for d in docs if d.get(field) not in (None, "", [])]
        absent = [d for d in docs if d.get(field) in (None, "", [])]

        def key(d: Doc, field: str = field) -> Any:
            v = d.get(field)
            if isinstance(v, list):
                v = v[0] if v else ""
            return (0, v) if isinstance(v, (int, float)) else (1, str(v).lower())

        docs = sorted(present, key=key, reverse=reverse) + absent
    return docs


def facets(docs: list[Doc], params: dict[str, list[str]]) -> dict[str, list[Any]]:
    mincount = int((params.get("facet.mincount") or ["1"])[0] or 1)
    limit = int((params.get("facet.limit") or ["100"])[0] or 100)
    out: dict[str, list[Any]] = {}
    for field in params.get("facet.field", []):
        counts: dict[str, int] = {}
        for d in docs:
            v = d.get(field)
            for item in v if isinstance(v, list) else [v]:
                if item not in (None, ""):
                    counts[str(item)] = counts.get(str(item), 0) + 1
        items = sorted(((k, c) for k, c in counts.items() if c >= mincount), key=lambda kc: (-kc[1], kc[0]))
        if limit >= 0:
            items = items[:limit]
        out[field] = [x for kc in items for x in kc]
    return out


# --- a small Lucene query subset ---------------------------------------------------------------------------
TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<lp>\()|(?P<rp>\))|
      (?P<op>AND\b|OR\b|NOT\b|&&|\|\|)|
      (?P<term>[+\-!]?(?:[^\s()"\[\]{}:\\]|\\.)+:(?:"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}|\((?:[^()]|\([^()]*\))*\)|(?:[^\s()\\]|\\.)+))|
      (?P<prefix>[+\-!])(?=\()|
      (?P<phrase>[+\-]?"(?:[^"\\]|\\.)*")|
      (?P<word>[+\-]?(?:[^\s()"\\]|\\.)+)
    )""",
    re.VERBOSE,
)


def tokenize(q: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    q = q.strip()
    while pos < len(q):
        m = TOKEN.match(q, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot parse query at {q[pos : pos + 30]!r}")
        pos = m.end()
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        while pos < len(q) and q[pos].isspace():
            pos += 1
    return out


def parse_query(q: str) -> Pred:
    tokens = tokenize(q)
    pred, _ = _parse_group(tokens, 0)
    return pred


def _parse_group(tokens: list[tuple[str, str]], i: int) -> tuple[Pred, int]:
    """Parse clauses until ')' or end; combine with Lucene boolean semantics."""
    clauses: list[tuple[str, Pred]] = []  # (occur: must/should/not, pred)
    pending_op: str | None = None
    prefix: str | None = None
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "rp":
            return _combine(clauses), i + 1
        if kind == "op":
            op = {"&&": "AND", "||": "OR"}.get(text, text)
            if op == "NOT":
                prefix = "-"
            else:
                pending_op = op
            i += 1
            continue
        if kind == "prefix":
            prefix = text
            i += 1
            continue
        if kind == "lp":
            pred, i = _parse_group(tokens, i + 1)
        else:
            if text[0] in "+-!":
                prefix, text = text[0], text[1:]
            pred = _clause(kind, text)
            i += 1
        occur = {"+": "must", "-": "not", "!": "not"}.get(prefix or "", "should")
        if pending_op == "AND":
            if occur == "should":
                occur = "must"
            if clauses and clauses[-1][0] == "should":
                clauses[-1] = ("must", clauses[-1][1])
        clauses.append((occur, pred))
        pending_op, prefix = None, None
    return _combine(clauses), i


def _combine(clauses: list[tuple[str, Pred]]) -> Pred:
    must = [p for o, p in clauses if o == "must"]
    should = [p for o, p in clauses if o == "should"]
    nots = [p for o, p in clauses if o == "not"]

    def pred(d: Doc) -> bool:
        if any(p(d) for p in nots):
            return False
        if not all(p(d) for p in must):
            return False
        if should and not must:
            return any(p(d) for p in should)
        return bool(must) or bool(should) or bool(nots)

    return pred


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def _clause(kind: str, text: str) -> Pred:
    if kind in ("phrase", "word"):
        word = _unescape(text.strip('"')).lower()
        if word == "*":
            return lambda d: True
        return lambda d: any(word in s for s in _texts(d))
    field, value = _split_field(text)
    if field == "*" and value == "*":
        return lambda d: True
    return _field_pred(field, value)


def _split_field(text: str) -> tuple[str, str]:
    m = re.match(r"((?:[^:\\]|\\.)+):(.*)$", text, re.DOTALL)
    assert m
    return _unescape(m.group(1)), m.group(2)


def _field_pred(field: str, value: str) -> Pred:
    if value.startswith('"') and (len(value) < 2 or not value.endswith('"')):
        raise ValueError(f"unbalanced quote in {field}:{value}")
    if value.startswith("(") and value.endswith(")"):
        inner = tokenize(value[1:-1])
        alts = [
            _value_matcher(_unescape(t.strip('"')) if k == "phrase" else _unescape(t))
            for k, t in inner
            if k in ("phrase", "word")
        ]
        ops = [t for k, t in inner if k == "op"]
        if "AND" in ops:
            return lambda d: all(any(m(v) for v in _values(d, field)) for m in alts)
        return lambda d: any(m(v) for v in _values(d, field) for m in alts)
    if value[:1] in "[{" and value[-1:] in "]}":
        lo, _, hi = value[1:-1].partition(" TO ")
        lo, hi = lo.strip(), hi.strip()

        def in_range(d: Doc) -> bool:
            for v in _values(d, field):
                if lo in ("*", "") and hi in ("*", ""):
                    return True
                try:
                    if (lo == "*" or _cmp(v) >= _cmp(lo)) and (hi == "*" or _cmp(v) <= _cmp(hi)):
                        return True
                except (TypeError, ValueError):
                    return True  # NOW-1DAY and the like: treated as present
            return False

        return in_range
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        target = _unescape(value[1:-1])
        return lambda d: any(str(v) == target or str(v).lower() == target.lower() for v in _values(d, field))
    m = _value_matcher(_unescape(value))
    return lambda d: any(m(v) for v in _values(d, field))


def _cmp(v: Any) -> Any:
    s = str(v)
    if re.fullmatch(r"-?\d+(\.\d+)?", s):
        return float(s)
    if re.match(r"\d{4}-\d\d-\d\d", s):
        return s[:19]
    raise ValueError(s)


def _value_matcher(target: str) -> Callable[[Any], bool]:
    if "*" in target or "?" in target:
        pat = target.lower()
        return lambda v: fnmatch.fnmatchcase(str(v).lower(), pat)
    low = target.lower()
    return lambda v: str(v) == target or str(v).lower() == low


def _values(d: Doc, field: str) -> list[Any]:
    if "*" in field:
        out: list[Any] = []
        for k, v in d.items():
            if fnmatch.fnmatchcase(k, field):
                out += v if isinstance(v, list) else [v]
        return out
    v = d.get(field)
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _texts(d: Doc) -> list[str]:
    out: list[str] = []
    for pattern in TEXT_FIELDS:
        out += [str(v).lower() for v in _values(d, pattern)]
    return out


# --- HTTP --------------------------------------------------------------------------------------------------
def schema_xml(version: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<schema name="ckan-{version}" version="1.6">'
        "<uniqueKey>index_id</uniqueKey></schema>\n"
    ).encode()


def make_handler(index: Index, core: str, version: str) -> type[BaseHTTPRequestHandler]:
    prefix = f"/solr/{core}/"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, ctype: str = "application/json; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, obj: Any, status: int = 200) -> None:
            self._send(status, json.dumps(obj).encode())

        def _error(self, status: int, msg: str) -> None:
            self._json({"responseHeader": {"status": status}, "error": {"msg": msg, "code": status}}, status)

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            if not parts.path.startswith(prefix):
                return self._error(404, f"no core at {parts.path}")
            handler = parts.path[len(prefix) :].strip("/")
            params = parse_qs(parts.query, keep_blank_values=True)
            body = b""
            if method == "POST":
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ctype = self.headers.get("Content-Type", "")
                if ctype.startswith("application/x-www-form-urlencoded"):
                    for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
                        params.setdefault(k, []).extend(v)
                    body = b""
            try:
                if handler == "schema" or (handler == "admin/file" and params.get("file") == ["schema.xml"]):
                    return self._send(200, schema_xml(version), "application/xml; charset=utf-8")
                if handler == "admin/ping":
                    return self._json({"responseHeader": {"status": 0}, "status": "OK"})
                if handler == "select":
                    return self._json(index.search(params))
                if handler == "update":
                    self._update(body)
                    return self._json({"responseHeader": {"status": 0, "QTime": 0}})
            except ValueError as exc:
                return self._error(400, str(exc))
            return self._error(404, f"unknown handler {handler}")

        def _update(self, body: bytes) -> None:
            text = body.decode("utf-8").strip()
            if not text:
                return
            if text[0] in "[{":
                data = json.loads(text)
                if isinstance(data, list):
                    index.add(data)
                    return
                if "add" in data:
                    adds = data["add"] if isinstance(data["add"], list) else [data["add"]]
                    index.add([a.get("doc", a) for a in adds])
                if "delete" in data:
                    dl = data["delete"]
                    if isinstance(dl, dict) and "query" in dl:
                        index.delete_query(dl["query"])
                    else:
                        index.delete_ids(
                            [str(x) for x in (dl if isinstance(dl, list) else [dl.get("id", dl)])]
                        )
                return
            root = ET.fromstring(text)
            if root.tag == "delete":
                ids = [e.text or "" for e in root.findall("id")]
                if ids:
                    index.delete_ids(ids)
                for qe in root.findall("query"):
                    index.delete_query(qe.text or "*:*")
            elif root.tag == "add":
                docs = []
                for de in root.findall("doc"):
                    doc: Doc = {}
                    for fe in de.findall("field"):
                        name = fe.get("name") or ""
                        if name in doc:
                            doc[name] = (doc[name] if isinstance(doc[name], list) else [doc[name]]) + [
                                fe.text
                            ]
                        else:
                            doc[name] = fe.text
                    docs.append(doc)
                index.add(docs)
            # <commit/>, <optimize/>: everything is visible at once

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

    return Handler


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8983)
    ap.add_argument("--core", default="ckan")
    ap.add_argument("--schema-version", default="2.12")
    args = ap.parse_args(argv)
    server = ThreadingHTTPServer(
        (args.host, args.port), make_handler(Index(), args.core, args.schema_version)
    )
    server.daemon_threads = True
    print(f"solr stand-in on http://{args.host}:{args.port}/solr/{args.core}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
