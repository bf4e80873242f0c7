"""GovData's DCAT-AP.de SHACL shapes (the unmodified archive in ../shared/vendor) as the judge, with pyshacl.

Loads what the archive contains for the profile "DCAT-AP.de 2.0 Spezifikation & Konventionen"
(``v20_de_spec_implr`` in the archive's config.properties): the German additions, messages, deprecations and
conventions (K01, K12/13, K30-K32, K36 ...), plus the controlled lists that ship in the archive (dcat-ap.de
licences and contributors) and the mirrored FOAF/vCard/ORG ontologies.

What cannot run offline, and is reported as such (never counted as passed):
* the SEMIC DCAT-AP 2.1.1 base shapes (``remote.0.url`` in config.properties: not in the archive);
* ``skos:inScheme`` membership for vocabularies the shapes ``owl:import`` from the web and the archive does
  not contain (EU data-theme, frequency, language, file-type, planned-availability, access-right; the
  political geocoding lists and levels; hash algorithms).  For those the shapes' result is replaced by a
  weaker check of our own: the value must be a URI in the vocabulary's namespace.
"""
from __future__ import annotations

import tarfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE = "DCAT-AP.de-SHACL-Validation-0715dd6.tar.gz"
SHAPES = ("v2.0/shapes/dcat-ap-spec-german-messages.ttl", "v2.0/shapes/dcat-ap-spec-german-additions.ttl",
          "v2.0/shapes/dcat-ap-de-deprecated.ttl", "v2.0/shapes/dcat-ap-konventionen.ttl")
VOCABULARIES = ("dashboard-alpha/shapes/dcat-ap-de-licenses-open.rdf",
                "dashboard-live/shapes/dcat-ap-de-contributors.rdf")
ONTOLOGIES = ("mirror/foaf_0_1.rdf", "mirror/vcard.ttl", "mirror/org.ttl")
#: vocabularies the shapes check by skos:inScheme but that are not in the archive → namespace check only
OFFLINE_SCHEMES = {
    "http://publications.europa.eu/resource/authority/data-theme": "http://publications.europa.eu/resource/authority/data-theme/",
    "http://publications.europa.eu/resource/authority/frequency": "http://publications.europa.eu/resource/authority/frequency/",
    "http://publications.europa.eu/resource/authority/language": "http://publications.europa.eu/resource/authority/language/",
    "http://publications.europa.eu/resource/authority/file-type": "http://publications.europa.eu/resource/authority/file-type/",
    "http://publications.europa.eu/resource/authority/planned-availability": "http://publications.europa.eu/resource/authority/planned-availability/",
    "http://dcat-ap.de/def/politicalGeocoding/Level": "http://dcat-ap.de/def/politicalGeocoding/Level/",
    "http://dcat-ap.de/def/politicalGeocoding/municipalityKey": "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/",
    "http://dcat-ap.de/def/politicalGeocoding/regionalKey": "http://dcat-ap.de/def/politicalGeocoding/regionalKey/",
    "http://dcat-ap.de/def/politicalGeocoding/districtKey": "http://dcat-ap.de/def/politicalGeocoding/districtKey/",
    "http://dcat-ap.de/def/politicalGeocoding/stateKey": "http://dcat-ap.de/def/politicalGeocoding/stateKey/",
    "http://dcat-ap.de/def/politicalGeocoding/municipalAssociationKey": "http://dcat-ap.de/def/politicalGeocoding/municipalAssociationKey/",
    "http://dcat-ap.de/def/politicalGeocoding/governmentDistrictKey": "http://dcat-ap.de/def/politicalGeocoding/governmentDistrictKey/",
    "http://dcat-ap.de/def/hashAlgorithms": "http://spdx.org/rdf/terms#checksumAlgorithm_",
    "http://publications.europa.eu/resource/authority/access-right": "http://publications.europa.eu/resource/authority/access-right/",
}
NOT_RUN = ("SEMIC DCAT-AP 2.1.1 base shapes (remote, not in the archive)",
           *(f"skos:inScheme {s} (vocabulary not in the archive; namespace checked instead)" for s in OFFLINE_SCHEMES))


def vendor_dir() -> Path:
    import os

    for d in (os.environ.get("FREIGABE_VENDOR_DIR"), ROOT.parent / "shared/vendor", ROOT.parent.parent / "shared/vendor"):
        if d and (Path(d) / ARCHIVE).is_file():
            return Path(d)
    raise FileNotFoundError(f"{ARCHIVE} not found beside the checkout (../shared/vendor) or in FREIGABE_VENDOR_DIR")


@lru_cache(maxsize=1)
def _resources() -> dict[str, bytes]:
    out = {}
    with tarfile.open(vendor_dir() / ARCHIVE) as tar:
        for member in tar.getmembers():
            if "/validator/resources/" in member.name and member.isfile():
                out[member.name.split("/validator/resources/", 1)[1]] = tar.extractfile(member).read()
    return out


def _graph(names):
    from rdflib import Graph

    g = Graph()
    res = _resources()
    for name in names:
        g.parse(data=res[name], format="turtle" if name.endswith(".ttl") else "xml")
    return g


@lru_cache(maxsize=1)
def shapes_graph():
    return _graph(SHAPES)


@lru_cache(maxsize=1)
def ontology_graph():
    return _graph(VOCABULARIES + ONTOLOGIES)


@dataclass
class ShaclResult:
    violations: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    offline: list[dict] = field(default_factory=list)  # inScheme results for vocabularies not in the archive
    not_run: tuple[str, ...] = NOT_RUN

    def text(self) -> str:
        return "\n".join(f"{v['severity']}: {v['focus']} {v['path']} {v['value']} — {v['message']}"
                         for v in self.violations + self.warnings)


def validate(data: bytes | str, fmt: str = "turtle") -> ShaclResult:
    from pyshacl import validate as run
    from rdflib import Graph, URIRef
    from rdflib.namespace import SH, SKOS

    g = Graph()
    g.parse(data=data, format=fmt)
    for triple in ontology_graph():  # the controlled lists and ontologies the archive ships
        g.add(triple)
    _conforms, report, _text = run(g, shacl_graph=shapes_graph(),
                                   inference="none", abort_on_first=False, allow_warnings=True,
                                   advanced=True, do_owl_imports=False)
    sg = shapes_graph()
    out = ShaclResult()
    for r in report.subjects(predicate=SH.resultSeverity):
        sev = str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]
        shape = report.value(r, SH.sourceShape)
        focus = report.value(r, SH.focusNode)
        value = report.value(r, SH.value)
        path = report.value(r, SH.resultPath)
        messages = [str(m) for m in report.objects(r, SH.resultMessage)]
        entry = {"severity": sev, "focus": str(focus), "path": str(path), "value": str(value),
                 "message": " | ".join(messages)[:400], "shape": str(shape)}
        schemes = _offline_schemes(sg, shape)
        if schemes:
            # the shape asks for skos:inScheme <scheme>; the vocabulary is not available offline
            node = value if value is not None else focus
            entry["namespace_ok"] = any(str(node).startswith(OFFLINE_SCHEMES[x]) for x in schemes)
            out.offline.append(entry)
            if not entry["namespace_ok"]:
                out.violations.append(entry)
            continue
        (out.violations if sev == "Violation" else out.warnings).append(entry)
    return out


def _offline_schemes(sg, shape) -> set[str]:
    """The offline schemes a (possibly nested) shape checks with skos:inScheme."""
    from rdflib.collection import Collection
    from rdflib.namespace import SH, SKOS

    found: set[str] = set()
    seen, todo = set(), [shape]
    while todo:
        s = todo.pop()
        if s is None or s in seen:
            continue
        seen.add(s)
        if sg.value(s, SH.path) == SKOS.inScheme:
            v = sg.value(s, SH.hasValue)
            if v is not None and str(v) in OFFLINE_SCHEMES:
                found.add(str(v))
        for p in (SH.property, SH.node, SH.qualifiedValueShape, SH["not"]):
            todo.extend(sg.objects(s, p))
        for p in (SH["and"], SH["or"], SH["xone"]):
            for lst in sg.objects(s, p):
                todo.extend(Collection(sg, lst))
    return found
