"""Issue 14 item 2 (rule-set part): superseded rule-set versions cannot be chosen - by id, in the web form
or by API; a submission picks from the current ones; an approval of a table checked under a superseded
version is refused."""
from __future__ import annotations

import io
import json

from sqlalchemy import func, select

from publisher.manifest import current_sha
from publisher.models import StoredFile, Submission
from publisher.services import reference, review

from tests.conftest import LONG_MAPPING, meta
from tests.trust.conftest import csrf_from


def _upload(client, tokens, data, **extra):
    return client.post("/api/v1/submissions", headers=tokens["submitter"], content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "t.csv"), "metadata": json.dumps(meta()),
                             "mapping": json.dumps(LONG_MAPPING), "series": "testreihe", **extra})


def test_a_superseded_rule_set_version_cannot_be_chosen(app, client, auth, tokens, ctx, fresh, users, hierarchy,
                                                        table_bytes, make_submission):
    old = reference.ensure_default_rule_set(ctx)
    before_upload = make_submission("submitted")  # checked under v1 (threshold 3)
    new = reference.create_rule_set(ctx, users["admin"], old.name, overrides={"min_count": 5})
    assert new.version == old.version + 1
    counts = lambda: (fresh().session.execute(select(func.count()).select_from(Submission)).scalar_one(),  # noqa
                      fresh().session.execute(select(func.count()).select_from(StoredFile)).scalar_one())
    stored = counts()
    # by id through the API: 422, nothing stored
    r = _upload(client, tokens, table_bytes(seed=77), hierarchy=str(hierarchy.id), rule_set=str(old.id))
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "publisher.rule_set.superseded"
    assert counts() == stored
    # without a choice: the current version
    r = _upload(client, tokens, table_bytes(seed=77), hierarchy=str(hierarchy.id))
    assert r.status_code == 201 and r.get_json()["rule_set"] == new.label
    # the web form offers only current versions
    auth.login("sabine")
    html = client.get("/submissions/new").get_data(as_text=True)
    select_html = html[html.index('name="rule_set"'):]
    select_html = select_html[:select_html.index("</select>")]
    assert f'value="{new.id}"' in select_html and f'value="{old.id}"' not in select_html
    auth.logout()
    # a table checked under the superseded version is not approved (409), nothing changes
    r = client.post(f"/api/v1/submissions/{before_upload.id}/approve", headers=tokens["approver"],
                    json={"manifest_sha256": current_sha(ctx, before_upload)})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "publisher.rule_set.superseded"
    assert fresh().session.get(Submission, before_upload.id).state == "submitted"
    # returned and resubmitted: checked again under the current version
    review.return_submission(ctx, users["approver"], before_upload.id, "Neues Regelwerk")
    sub = review.resubmit(ctx, users["submitter"], before_upload.id)
    assert sub.current_version.rule_set_id == new.id
