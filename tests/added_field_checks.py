"""Run only by tests/test_kinds.py, in a pytest of its own with the plugin
tests/helpers/added_field.py: a field added to one kind's declaration reaches every surface."""

from __future__ import annotations

import csv
import io
import json
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from rehab_app.core import exports, fhir, kinds, openapi
from rehab_app.core.sync import rules
from rehab_app.core.timeutil import local_now
from rehab_app.extensions import db
from rehab_app.models import Entry, utcnow
from rehab_app.web.forms.entries import ENTRY_FORMS
from tests.helpers.accounts import CsrfClient
from tests.helpers.api import NOW, PUSH, post, register
from tests.helpers.pages import visible

pytestmark = pytest.mark.skipif(
    "rests" not in kinds.KINDS["walk_test"].names(),
    reason="run by tests/test_kinds.py, with the plugin tests.helpers.added_field",
)


def walk(rests: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": "walk_test",
        "occurred_at": NOW,
        "trial_1_seconds": 9.5,
        "trial_2_seconds": 9.1,
        "aid": "none",
        "setting": "indoors",
        "rests": rests,
    }


def test_sync_takes_it_checks_its_limit_and_pulls_it(patient_client: CsrfClient) -> None:
    client_id = register(patient_client)
    good, too_many = walk(2), walk(51)
    mutations = [
        {"id": 1, "op": "create", "entry": good},
        {"id": 2, "op": "create", "entry": too_many},
    ]
    answer = post(patient_client, PUSH, {"client_id": client_id, "mutations": mutations})
    results = answer.get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert results[1]["field"] == "rests"
    assert results[1]["message"] == "Enter a whole number from 0 to 50."
    assert db.session.get(Entry, good["id"]).rests == 2  # type: ignore[union-attr]
    pulled = patient_client.get(f"/api/v1/sync/pull?client_id={client_id}&cursor=0").get_json()
    (change,) = [c for c in pulled["changes"] if c["id"] == good["id"]]
    assert change["rests"] == 2


def test_the_api_description_has_it() -> None:
    schema = openapi.openapi_document()["components"]["schemas"]["EntryFields_walk_test"]
    assert schema["properties"]["rests"] == {
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": 50,
    }
    assert "rests" in rules.KIND_FIELDS["walk_test"]


def test_the_form_shows_it_and_stores_it(patient_client: CsrfClient) -> None:
    assert "rests" in ENTRY_FORMS["walk_test"].columns
    page = patient_client.get("/log/walk_test").get_data(as_text=True)
    assert "Rests between the walks" in visible(page)
    assert 'name="rests"' in page and 'max="50"' in page
    form = {
        "entry_id": str(uuid.uuid4()),
        "occurred_at": "",
        "trial_1_seconds": "9.5",
        "trial_2_seconds": "9.3",
        "aid": "none",
        "setting": "indoors",
        "rests": "1",
    }
    form["occurred_at"] = local_now("Europe/London").strftime("%Y-%m-%dT%H:%M")  # the people's
    assert patient_client.post("/log/walk_test", data=form).status_code == 302
    assert db.session.get(Entry, form["entry_id"]).rests == 1  # type: ignore[union-attr]
    refused = patient_client.post("/log/walk_test", data={**form, "rests": "51", "entry_id": ""})
    assert refused.status_code == 400
    assert "Enter a whole number from 0 to 50." in visible(refused.get_data(as_text=True))


def test_the_phone_is_told_of_it(patient_client: CsrfClient) -> None:
    page = patient_client.get("/today").get_data(as_text=True)
    words = json.loads(page.split('id="rl-words">', 1)[1].split("</script>", 1)[0])
    assert ["rests", "whole", None] in words["fields"]["walk_test"]


def test_the_exports_hold_it(patient_client: CsrfClient) -> None:
    client_id = register(patient_client)
    entry = walk(3)
    post(
        patient_client,
        PUSH,
        {"client_id": client_id, "mutations": [{"id": 1, "op": "create", "entry": entry}]},
    )
    assert "rests" in exports.ENTRY_COLUMNS
    document = json.loads(patient_client.get("/account/export.json").get_data(as_text=True))
    (row,) = [e for e in document["entries"] if e["id"] == entry["id"]]
    assert row["rests"] == 3
    bundle = fhir.patient_bundle(
        SimpleNamespace(id=1, display_name="A"), [db.session.get(Entry, entry["id"])], utcnow()
    )
    (walk_resource,) = [e["resource"] for e in bundle["entry"][1:]]
    rests = [c for c in walk_resource["component"] if c["code"]["coding"][0]["code"] == "rests"]
    assert [c["valueInteger"] for c in rests] == [3]
    Bundle.model_validate(bundle)
    table = csv.DictReader(
        io.StringIO(patient_client.get("/account/export.csv").get_data(as_text=True))
    )
    assert [r["rests"] for r in table if r["id"] == entry["id"]] == ["3"]
