"""What a public release page depends on, in one cheap read (issue 16 item 5: pages cached by artifact).

:func:`release_stamp` returns a fingerprint of every row the release page of a submission is drawn from: the
state, current version and publication jobs of every submission of its series (the page shows the series'
other published versions in its chart, its portal link comes from a publication job) and the series title,
plus the newest publication job of all (a release under another series' name shows up as a new job).  Any
publish, withdrawal, correction or job transition changes it, so a page cached under it can never outlive
the state it shows.  Read-only, one statement on the indexed columns, no ORM objects.
"""
from __future__ import annotations

import hashlib

_STAMP_SQL = ("""
SELECT s.id, s.state, s.state_changed_at, s.current_version_id, ser.title, ser.updated_at,
       (SELECT count(*) FROM publication_jobs j WHERE j.submission_id = s.id AND j.state = 'done'),
       (SELECT max(j.updated_at) FROM publication_jobs j WHERE j.submission_id = s.id),
       (SELECT max(j.id) FROM publication_jobs j)
FROM submissions s JOIN series ser ON ser.id = s.series_id
WHERE s.series_id = (SELECT t.series_id FROM submissions t WHERE t.id = {sid})
ORDER BY s.id
""")
_PARAM = {"qmark": "?", "numeric": ":1", "named": ":sid", "format": "%s", "pyformat": "%(sid)s"}


def release_stamp(engine, submission_id: int) -> str | None:
    """Fingerprint of the state a release page of ``submission_id`` shows; None for an unknown submission."""
    style = engine.dialect.paramstyle
    sql = _STAMP_SQL.format(sid=_PARAM[style])
    args = {"sid": int(submission_id)} if style in ("named", "pyformat") else (int(submission_id),)
    conn = engine.raw_connection()  # the DB-API connection: this runs on every page view (no ORM, no Result)
    try:
        cur = conn.cursor()
        cur.execute(sql, args)
        rows = cur.fetchall()
        cur.close()
    finally:
        conn.close()
    if not rows or not any(r[0] == submission_id for r in rows):
        return None
    return hashlib.sha256(repr([tuple(map(str, r)) for r in rows]).encode()).hexdigest()
