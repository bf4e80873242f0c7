"""Demo data modelled on a real city (Gelsenkirchen-like: 5 Stadtbezirke, 18 Stadtteile, a few hundred
Baublöcke), generated in code - no third-party data is copied.  Also used by the tests to generate inputs.

``load(c)`` creates demo accounts with GENERATED passwords (returned once), imports the hierarchy, and
creates submissions that reach different states through the real service transitions.
"""
from __future__ import annotations

from publisher.manifest import current_sha
import csv
import io
import random
from dataclasses import dataclass

# Stadtbezirke and Stadtteile of Gelsenkirchen (public facts: names and their grouping).
BEZIRKE: dict[str, tuple[str, list[str]]] = {
    "01": ("Gelsenkirchen-Mitte", ["Altstadt", "Bismarck", "Bulmke-Hüllen", "Feldmark", "Heßler", "Schalke",
                                   "Schalke-Nord"]),
    "02": ("Gelsenkirchen-Nord", ["Buer", "Hassel", "Scholven"]),
    "03": ("Gelsenkirchen-West", ["Beckhausen", "Horst"]),
    "04": ("Gelsenkirchen-Ost", ["Erle", "Resse", "Resser Mark"]),
    "05": ("Gelsenkirchen-Süd", ["Neustadt", "Rotthausen", "Ückendorf"]),
}
STATUSES = ("Aufenthaltsgestattung", "Duldung", "Aufenthaltserlaubnis (humanitär)", "Niederlassungserlaubnis")
STREETS = ("Bahnhofstraße", "Hauptstraße", "Kirchstraße", "Schulstraße", "Gartenstraße", "Bergstraße",
           "Lindenallee", "Am Rathaus", "Grüner Weg", "Mühlenstraße", "Zechenstraße", "Kanalstraße")


@dataclass(frozen=True)
class City:
    blocks: list[tuple[str, str, str, str, str, str]]  # (block, block_name, teil, teil_name, bezirk, bezirk_name)

    @property
    def block_codes(self) -> list[str]:
        return [b[0] for b in self.blocks]

    @property
    def stadtteile(self) -> dict[str, str]:
        return {b[2]: b[3] for b in self.blocks}

    @property
    def bezirke(self) -> dict[str, str]:
        return {b[4]: b[5] for b in self.blocks}

    def hierarchy_csv(self, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
        w.writerow(["baublock", "baublock_name", "stadtteil", "stadtteil_name", "stadtbezirk", "stadtbezirk_name"])
        for row in self.blocks:
            w.writerow(row)
        return buf.getvalue().encode(encoding)


def make_city(blocks_per_stadtteil: tuple[int, int] = (12, 22), seed: int = 7) -> City:
    """Generate the city: codes with leading zeros (``01`` → ``0101`` → ``0101001``)."""
    rnd = random.Random(seed)
    rows = []
    for bz, (bz_name, teile) in BEZIRKE.items():
        for i, teil in enumerate(teile, start=1):
            st = f"{bz}{i:02d}"
            for j in range(1, rnd.randint(*blocks_per_stadtteil) + 1):
                street = rnd.choice(STREETS)
                rows.append((f"{st}{j:03d}", f"{teil}, {street} {j}", st, teil, bz, bz_name))
    return City(blocks=rows)


def small_city() -> City:
    """A small city for fast tests: 5 Bezirke, 18 Stadtteile, 2-3 blocks each."""
    return make_city((2, 3), seed=3)


def counts_long(city: City, months: list[str], *, seed: int = 1, small_cells: bool = True,
                statuses: tuple[str, ...] = STATUSES) -> list[tuple[str, str, str, int]]:
    """Rows (baublock, monat, aufenthaltsstatus, anzahl).  ``small_cells`` → counts 1-2 occur (block level
    fails the rule); otherwise every count is 0 or >= 5."""
    rnd = random.Random(seed)
    out = []
    for block in city.block_codes:
        base = rnd.randint(3, 40)
        for m in months:
            for k, s in enumerate(statuses):
                n = max(0, int(rnd.gauss(base / (k + 1), 3)))
                if not small_cells and 0 < n < 5:
                    n = 5
                if small_cells and rnd.random() < 0.05:
                    n = rnd.choice((1, 2))
                out.append((block, m, s, n))
    return out


def german_csv(header: list[str], rows: list[tuple], *, encoding: str = "utf-8", delimiter: str = ";",
               bom: bool = False, thousands: bool = True, preamble: list[str] | None = None,
               total_row: bool = False) -> bytes:
    """CSV as German offices export it: ``;``, thousands dot, optional BOM/cp1252/title rows/total row."""
    buf = io.StringIO()
    for line in preamble or []:
        buf.write(line + "\n")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)

    def fmt(v):
        if isinstance(v, int) and thousands:
            return f"{v:,}".replace(",", ".")
        return v

    for r in rows:
        w.writerow([fmt(v) for v in r])
    if total_row:
        total = sum(r[-1] for r in rows)
        w.writerow(["Insgesamt"] + [""] * (len(header) - 2) + [fmt(total)])
    text = buf.getvalue()
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom and encoding.replace("-", "").lower() == "utf8" else data


def stadtteil_table(city: City, *, seed: int = 2, small_cells: bool = False) -> list[tuple[str, str, int]]:
    """Rows (stadtteil, aufenthaltsstatus, anzahl) per Stadtteil."""
    rnd = random.Random(seed)
    out = []
    for st in city.stadtteile:
        for s in STATUSES:
            n = rnd.randint(5, 900)
            if small_cells and rnd.random() < 0.1:
                n = 1
            out.append((st, s, n))
    return out


def xlsx_bytes(header: list[str], rows: list[tuple], *, sheet: str = "Tabelle1", preamble: list[str] | None = None,
               extra_sheets: tuple[str, ...] = ()) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for line in preamble or []:
        ws.append([line])
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    for name in extra_sheets:
        wb.create_sheet(name).append(["nichts", "hier"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- demo geometries -------------------------------------------------------------------------------------

DEMO_BBOX = (6.98, 51.50, 7.22, 51.62)  # lon/lat box the generated map is drawn in (not real boundaries)


def demo_geometries(hierarchy_csv: bytes, filename: str = "hierarchie.csv",
                    bbox: tuple[float, float, float, float] = DEMO_BBOX) -> dict:
    """Generated GeoJSON for a hierarchy: a nested rectangle layout (slice-and-dice treemap), so every
    area of every level is a rectangle inside its parent, sized by its number of finest-level areas.
    Deterministic; made up, not a real city's boundaries.  Features: ``properties.level/code/name``."""
    from disclosure_rules import load_hierarchy

    h = load_hierarchy(hierarchy_csv, filename=filename)
    levels = list(h.levels)  # finest -> coarsest
    children: dict[tuple[int, str], list[str]] = {}
    for i in range(len(levels) - 1):
        for child, parent in h.parent_map(levels[i]).items():
            children.setdefault((i + 1, str(parent)), []).append(str(child))
    leaves: dict[tuple[int, str], int] = {}

    def weight(i: int, code: str) -> int:
        if i == 0:
            return 1
        key = (i, code)
        if key not in leaves:
            leaves[key] = sum(weight(i - 1, c) for c in children.get(key, [])) or 1
        return leaves[key]

    feats: list[dict] = []

    def rows_of(kids: list[str], i: int) -> list[list[str]]:
        """Kids in about sqrt(n) rows of similar weight (in code order)."""
        n_rows = max(1, round(len(kids) ** 0.5))
        total = sum(weight(i - 1, k) for k in kids)
        rows, cur, acc = [], [], 0.0
        for k in kids:
            cur.append(k)
            acc += weight(i - 1, k)
            if acc >= total * (len(rows) + 1) / n_rows - 1e-9 and len(rows) < n_rows - 1:
                rows.append(cur)
                cur = []
        if cur:
            rows.append(cur)
        return rows

    def lay(i: int, code: str, box: tuple[float, float, float, float]) -> None:
        x0, y0, x1, y1 = box
        ring = [[round(x0, 6), round(y0, 6)], [round(x1, 6), round(y0, 6)], [round(x1, 6), round(y1, 6)],
                [round(x0, 6), round(y1, 6)], [round(x0, 6), round(y0, 6)]]
        feats.append({"type": "Feature", "properties": {"level": levels[i], "code": code,
                                                        "name": h.name(code, levels[i]) or code},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
        kids = sorted(children.get((i, code), []))
        if not kids:
            return
        rows = rows_of(kids, i)
        total = sum(weight(i - 1, k) for k in kids)
        top_y = y1
        for row in rows:
            row_w = sum(weight(i - 1, k) for k in row)
            bottom_y = top_y - (y1 - y0) * row_w / total
            left = x0
            for kid in row:
                right = left + (x1 - x0) * weight(i - 1, kid) / row_w
                lay(i - 1, kid, (left, bottom_y, right, top_y))
                left = right
            top_y = bottom_y

    top = len(levels) - 1
    for code in sorted(str(c) for c in h.codes(levels[top])):
        lay(top, code, bbox)
    return {"type": "FeatureCollection", "features": feats}


def save_demo_geometries(c, hierarchy) -> None:
    """Store generated geometries for an imported hierarchy (``publisher.models.Hierarchy``) in the storage
    dir, where the review and release pages look for them (``publisher.svg.load_geometries``)."""
    from publisher.svg import save_geometries

    data = c.store.get(hierarchy.file_sha256)
    save_geometries(c.settings["STORAGE_DIR"], hierarchy.file_sha256, demo_geometries(data, hierarchy.filename))


# --- loading the demo ----------------------------------------------------------------------------------

DEMO_USERS = (
    ("admin", "admin", ()),
    ("dsb", "approver", ()),  # Datenschutzbeauftragte
    ("dsb2", "approver", ()),
    ("statistik", "submitter", ()),
    ("statistik2", "submitter", ()),
    ("leser", "reader", ("sozialplanung",)),
)

MONTHS = ["2026-07", "2026-08", "2026-09"]


def _meta(title: str, period: str, **kw) -> dict:
    meta = {"title": title, "description": f"{title}. Demodaten (generiert).", "reference_period": period,
            "keywords": ["Geflüchtete", "Aufenthaltsstatus", "Gelsenkirchen (Demo)"],
            "source": "Stadt Musterstadt, Referat Statistik (Demo)", "contact": "statistik@example.org",
            "audience": "public"}
    meta.update(kw)
    return meta


def load(c) -> list[tuple[str, str, str]]:
    """Load the demo; returns ``[(username, role, generated_password)]`` (printed once by the CLI)."""
    from publisher.services import accounts, intake, reference, review

    logins = []
    for name, role, groups in DEMO_USERS:
        try:
            accounts.get_user_by_name(c, name)
            logins.append((name, role, "(bestand schon)"))
            continue
        except Exception:
            pass
        _u, pw = accounts.create_user(c, None, name, role, groups=groups, display_name=name.capitalize())
        logins.append((name, role, pw))
    users = {n: accounts.get_user_by_name(c, n) for n, _, _ in DEMO_USERS}
    city = make_city()
    h = reference.import_hierarchy(c, None, city.hierarchy_csv(), "musterstadt_baubloecke.csv",
                                   "musterstadt", None)
    reference.ensure_default_rule_set(c)
    from publisher.demo_geo import upload_demo_boundaries  # issue 17: synthetic boundaries, bound by manifests

    upload_demo_boundaries(c, h, city)
    st, st2, dsb, dsb2 = users["statistik"], users["statistik2"], users["dsb"], users["dsb2"]
    long_mapping = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
                    "layout": "long"}
    header = ["baublock", "monat", "aufenthaltsstatus", "anzahl"]

    def upload(user, title, month, seed, small=True, **meta):
        rows = counts_long(city, [month], seed=seed, small_cells=small)
        data = german_csv(header, rows, encoding="cp1252")
        return intake.create_draft(c, user, data=data, filename=f"gefluechtete_{month}.csv",
                                   metadata=_meta(title, month, **meta), mapping=long_mapping,
                                   series="Geflüchtete nach Aufenthaltsstatus (monatlich)", hierarchy=h.id)

    # 1. approved (publication job queued): block-level table with small cells → coarsened
    s1 = upload(st, "Geflüchtete nach Aufenthaltsstatus, Juli 2026", "2026-07", 11)
    review.submit(c, st, s1.id)
    review.approve(c, dsb, s1.id, current_sha(c, s1), "Vergröberung auf Stadtteile in Ordnung.")
    # 2. submitted, waiting for the DPO
    s2 = upload(st, "Geflüchtete nach Aufenthaltsstatus, August 2026", "2026-08", 12)
    review.submit(c, st, s2.id)
    # 3. returned with a comment
    s3 = upload(st2, "Geflüchtete nach Aufenthaltsstatus, September 2026", "2026-09", 13)
    review.submit(c, st2, s3.id)
    review.return_submission(c, dsb2, s3.id, "Bitte Stichtag in der Beschreibung ergänzen.")
    # 4. rejected
    s4 = upload(st2, "Geflüchtete (Testlauf, doppelt)", "2026-07", 14)
    review.submit(c, st2, s4.id)
    review.reject(c, dsb, s4.id, "Doppelte Einreichung zu Juli 2026.")
    # 5. draft (restricted audience)
    upload(st, "Geflüchtete nach Aufenthaltsstatus, Oktober 2026 (intern)", "2026-10", 15,
           audience="restricted", groups=["sozialplanung"])
    return logins
