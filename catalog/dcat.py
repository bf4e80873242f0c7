"""DCAT-AP.de vocabulary used by every target, and the release's own DCAT-AP.de record (Turtle).

* :data:`FILE_TYPES` — file extension → (EU file-type URI, IANA media-type URI): formats and media types
  are written as vocabulary URIs (GovData convention K32), on CKAN resources and in the record.
* :data:`SHA256_ALGORITHM` — ``spdx:checksumAlgorithm_sha256``: checksums are the plain hex digest plus this
  algorithm (never a ``sha256:`` prefix in the value).
* :func:`release_turtle` — the DCAT-AP.de 2.0 record of one release version (``dcat.ttl`` in the download
  area, where restricted releases live; the CKAN portal renders its own with GovData's ``dcatap_de``
  profile from the fields :mod:`catalog.ckan_release` writes).  Access URLs are the files' URLs where
  known, else ``urn:freigabe:<series>:<version>:<file>``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

FILE_TYPE_BASE = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA_TYPE_BASE = "https://www.iana.org/assignments/media-types/"
FILE_TYPES = {
    "csv": (FILE_TYPE_BASE + "CSV", MEDIA_TYPE_BASE + "text/csv"),
    "json": (FILE_TYPE_BASE + "JSON", MEDIA_TYPE_BASE + "application/json"),
    "zip": (FILE_TYPE_BASE + "ZIP", MEDIA_TYPE_BASE + "application/zip"),
    "ttl": (FILE_TYPE_BASE + "RDF_TURTLE", MEDIA_TYPE_BASE + "text/turtle"),
    "xlsx": (FILE_TYPE_BASE + "XLSX",
             MEDIA_TYPE_BASE + "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
SHA256_ALGORITHM = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
RFC4180 = "https://www.rfc-editor.org/rfc/rfc4180"
TABLE_SCHEMA_SPEC = "https://specs.frictionlessdata.io/table-schema/"


def file_type(filename: str) -> tuple[str, str]:
    return FILE_TYPES[filename.rsplit(".", 1)[-1].lower()]


def release_turtle(pkg: Any, urls: Mapping[str, str | None], files: Mapping[str, bytes] | None = None) -> bytes:
    """The DCAT-AP.de record of ``pkg`` (a :class:`catalog.datapackage.DataPackage`) with one distribution per
    file in ``urls`` (file name → URL or None); ``files`` gives the bytes for size and checksum (default:
    the package's own files)."""
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, XSD

    dcatde = Namespace("http://dcat-ap.de/def/dcatde/")
    vcard = Namespace("http://www.w3.org/2006/vcard/ns#")
    spdx = Namespace("http://spdx.org/rdf/terms#")
    adms = Namespace("http://www.w3.org/ns/adms#")
    d = pkg.descriptor
    dc = d.get("dcat", {})
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("dcatde", dcatde), ("vcard", vcard),
                       ("spdx", spdx), ("adms", adms), ("owl", OWL)):
        g.bind(prefix, ns)
    ds = URIRef(dc.get("landingPage") or f"urn:freigabe:{pkg.name}:{pkg.version}")
    if dc.get("landingPage"):
        ds = URIRef(dc["landingPage"].rstrip("/") + f"#{pkg.version}")
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal(d["title"], lang="de")))
    g.add((ds, DCTERMS.description, Literal(d.get("description") or d["title"], lang="de")))
    g.add((ds, DCTERMS.identifier, Literal(d.get("id") or f"{pkg.name}@{pkg.version}")))
    g.add((ds, OWL.versionInfo, Literal(pkg.version)))
    if dc.get("versionNotes"):
        g.add((ds, adms.versionNotes, Literal(dc["versionNotes"], lang="de")))
    g.add((ds, DCTERMS.issued, Literal(d["created"], datatype=XSD.dateTime)))
    for kw in d.get("keywords", []):
        g.add((ds, DCAT.keyword, Literal(kw, lang="de")))
    for theme in dc.get("theme") or []:
        g.add((ds, DCAT.theme, URIRef(theme)))
    if dc.get("accrualPeriodicity"):
        g.add((ds, DCTERMS.accrualPeriodicity, URIRef(dc["accrualPeriodicity"])))
    if dc.get("language"):
        g.add((ds, DCTERMS.language, URIRef(dc["language"])))
    if dc.get("accessRights"):
        g.add((ds, DCTERMS.accessRights, URIRef(dc["accessRights"])))
    if dc.get("conformsTo"):
        g.add((ds, DCTERMS.conformsTo, URIRef(dc["conformsTo"])))
    if dc.get("landingPage"):
        g.add((ds, DCAT.landingPage, URIRef(dc["landingPage"])))
    for key, pred in (("politicalGeocodingURI", dcatde.politicalGeocodingURI),
                      ("politicalGeocodingLevelURI", dcatde.politicalGeocodingLevelURI),
                      ("contributorID", dcatde.contributorID)):
        if dc.get(key):
            g.add((ds, pred, URIRef(dc[key])))
    if dc.get("geocodingText"):
        g.add((ds, dcatde.geocodingDescription, Literal(dc["geocodingText"], lang="de")))
    temporal = dc.get("temporal") or {}
    if temporal:
        t = BNode()
        g.add((t, RDF.type, DCTERMS.PeriodOfTime))
        g.add((t, DCAT.startDate, Literal(temporal["start"], datatype=XSD.date)))
        g.add((t, DCAT.endDate, Literal(temporal["end"], datatype=XSD.date)))
        g.add((ds, DCTERMS.temporal, t))
    publisher = next((c for c in d.get("contributors", []) if c.get("role") == "publisher"), None)
    if publisher:
        p = URIRef(publisher["path"]) if publisher.get("path") else BNode()
        g.add((p, RDF.type, FOAF.Organization))
        g.add((p, FOAF.name, Literal(publisher["title"])))
        g.add((ds, DCTERMS.publisher, p))
    contact = dc.get("contactPoint") or {}
    if contact:
        cp = BNode()
        g.add((cp, RDF.type, vcard.Organization))
        g.add((cp, vcard.fn, Literal(contact.get("name") or "")))
        if contact.get("email"):
            g.add((cp, vcard.hasEmail, URIRef("mailto:" + contact["email"])))
        g.add((ds, DCAT.contactPoint, cp))
    licence = dc.get("license")
    data = dict(files if files is not None else pkg.files)
    for name in sorted(urls):
        url = urls[name] or f"urn:freigabe:{pkg.name}:{pkg.version}:{name}"
        dist = URIRef(url)
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(name)))
        g.add((dist, DCAT.accessURL, URIRef(url)))
        if urls[name]:
            g.add((dist, DCAT.downloadURL, URIRef(url)))
        fmt, media = file_type(name)
        g.add((dist, DCTERMS["format"], URIRef(fmt)))
        g.add((dist, DCAT.mediaType, URIRef(media)))
        if licence:
            g.add((dist, DCTERMS.license, URIRef(licence)))
        if name in data:
            g.add((dist, DCAT.byteSize, Literal(len(data[name]), datatype=XSD.decimal)))
            cs = BNode()
            g.add((cs, RDF.type, spdx.Checksum))
            g.add((cs, spdx.algorithm, URIRef(SHA256_ALGORITHM)))
            g.add((cs, spdx.checksumValue, Literal(hashlib.sha256(data[name]).hexdigest(), datatype=XSD.hexBinary)))
            g.add((dist, spdx.checksum, cs))
        if name.endswith(".csv"):
            g.add((dist, DCTERMS.conformsTo, URIRef(RFC4180)))
    return g.serialize(format="turtle").encode("utf-8")
