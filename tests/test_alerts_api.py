"""The monitoring/alerts HTTP routes (``tamiz.api.routes_monitoring``), mounted on the API
app with real API keys. SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tamiz.api.app import create_app
from tamiz.api.config import ApiConfig
from tamiz.store import audit
from tamiz.store.keys import create_key
from test_monitor_support import INTERNAL_V1, INTERNAL_V2, PARTIES, load_internal, write_list


@pytest.fixture
def api(store, tmp_path):
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    app = create_app(store, config=ApiConfig(refresh_interval=0, build_in_subprocess=False))
    service = app.state.service
    assert "/alerts" in app.openapi()["paths"], "the app mounts the monitoring routes"
    keys = {
        role: create_key(store, f"{role}-key", role)[1] for role in ("reader", "analyst", "admin")
    }
    keys["analyst2"] = create_key(store, "analyst-two", "analyst")[1]
    with TestClient(app) as client:
        yield client, keys, service


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_parties_alerts_decisions_over_http(store, api, tmp_path):
    client, keys, _service = api
    reader, analyst, admin = (auth(keys[r]) for r in ("reader", "analyst", "admin"))
    body = {
        "book": "retail",
        "parties": [
            {"party_id": pid, "names": [name], "schema": schema, "record": {"ref": pid}}
            for pid, name, schema in PARTIES
        ],
    }
    assert client.post("/monitor/parties", json=body, headers=reader).status_code == 403
    added = client.post("/monitor/parties", json=body, headers=analyst)
    assert added.status_code == 200, added.text
    assert added.json()["added"] == 5 and added.json()["screened"]["created"] == 3
    bad = {
        "book": "retail",
        "parties": [{"party_id": "x", "names": ["x"], "birth_dates": ["1990-02-31"]}],
    }
    refused = client.post("/monitor/parties", json=bad, headers=analyst)
    assert refused.status_code == 400 and "party 'x'" in refused.json()["error"]["message"]

    alerts = client.get("/alerts", params={"status": "open"}, headers=reader)
    rows = alerts.json()["alerts"]
    assert len(rows) == 3
    assert {"id", "party_id", "entity_id", "score", "status", "snapshot", "changed"} <= set(rows[0])
    target = next(r for r in rows if r["party_id"] == "p2")
    one = client.get(f"/alerts/{target['id']}", headers=reader).json()
    assert one["party"]["record"] == {"ref": "p2"} and one["history"][0]["kind"] == "created"
    assert client.get("/alerts/9999", headers=reader).status_code == 404

    # four-eyes with two different keys
    put = client.put("/monitor/books/retail", json={"four_eyes": True}, headers=admin)
    assert put.status_code == 200 and put.json()["four_eyes"] is True
    url = f"/alerts/{target['id']}/decision"
    decision = {"status": "true_match", "reason": "same registration number"}
    first = client.post(url, json=decision, headers=analyst)
    assert first.status_code == 200 and first.json()["pending_confirmation"] is True
    same = client.post(url, json=decision, headers=analyst)
    assert same.status_code == 409 and same.json()["error"]["code"] == "four_eyes"
    second = client.post(url, json=decision, headers=auth(keys["analyst2"]))
    assert second.json()["alert"]["status"] == "true_match"
    history = client.get(f"/alerts/{target['id']}/history", headers=reader).json()
    assert [e["analyst"] for e in history["history"]] == [
        "system",
        "key:analyst-key",
        "key:analyst-two",
    ]
    wrong = client.post(url, json={"status": "maybe", "reason": "x"}, headers=analyst)
    assert wrong.status_code == 400
    records = audit.records(store, action="alert_decision")
    assert [r.actor for r in records] == ["key:analyst-two", "key:analyst-key"]

    # a list update through the admin route runs the incremental pass over the book
    v2_file = write_list(tmp_path / "internal-2025-01-02.csv", INTERNAL_V2)
    updated = client.post(
        "/admin/update",
        json={"dataset": "internal", "format": "csv", "paths": [str(v2_file)]},
        headers=admin,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["results"][0]["status"] == "activated"
    # (the new list version adds one matching entry and removes one: see the runs below)
    summary = client.get("/alerts/summary", headers=reader).json()
    assert summary["new_alerts"]["total"] == 4
    runs = client.get("/monitor/runs", headers=reader).json()["runs"]
    assert [r["kind"] for r in runs] == ["incremental", "parties"]

    full = client.post("/monitor/run", headers=admin)
    assert full.status_code == 200 and full.json()["kind"] == "full"
    assert client.post("/monitor/run", headers=analyst).status_code == 403
    removed = client.post(
        "/monitor/parties/remove",
        json={"book": "retail", "party_ids": ["p1"]},
        headers=analyst,
    )
    assert removed.json() == {"book": "retail", "removed": 1, "alerts_closed": 1}
    parties = client.get("/monitor/parties", params={"book": "retail"}, headers=reader)
    assert [p["party_id"] for p in parties.json()["parties"]] == ["p2", "p3", "p4", "p5"]
    books = client.get("/monitor/books", headers=reader).json()["books"]
    assert books[0]["name"] == "retail" and books[0]["parties"] == 4
