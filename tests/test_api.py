"""The HTTP API: yente-compatible /match, lookups, /screen, auth, limits, errors, audit.

Runs on SQLite and on a real PostgreSQL server (the ``api_store`` fixture is parametrised like
the ``store`` fixture in conftest). The store holds the UN list of 2025-11-20 and the 2026 SDN
excerpt; some tests load the UN list of 2026-02-27 as an update.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tamiz.api import ApiConfig, create_app
from tamiz.store import Settings, Store, audit
from tamiz.store.keys import create_key, revoke_key
from tamiz.store.updates import update_from_mirror, update_from_paths

MADURO = {"schema": "Person", "properties": {"name": ["Nicolás Maduro"]}}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def api_settings(request, tmp_path_factory, lists_dir):
    home = tmp_path_factory.mktemp("api")
    if request.param == "postgres":
        import psycopg

        server = request.getfixturevalue("postgres_server")
        admin = server.replace("postgresql+psycopg://", "postgresql://")
        name = f"tamiz_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{server.rsplit('/', 1)[0]}/{name}"
    else:
        url = f"sqlite:///{home / 'tamiz.db'}"
    settings = Settings(home=home, database_url=url)
    store = Store.open(settings)
    un = lists_dir / "un_sc" / "consolidated-2025-11-20.xml"
    assert update_from_paths(store, "un_sc", [un]).status == "activated"
    [sdn] = update_from_mirror(store, lists_dir, ["us_ofac_sdn_2026"])
    assert sdn.status == "activated", sdn.error
    store.close()
    yield settings
    if request.param == "postgres":
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_ready(client: TestClient, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(f"service not ready: {client.get('/readyz').json()}")


def make_client(settings: Settings, **config) -> tuple[TestClient, Store]:
    store = Store.open(settings)
    app = create_app(store, config=ApiConfig(**{"refresh_interval": 0.2, **config}))
    client = TestClient(app, raise_server_exceptions=False)
    client.__enter__()
    wait_ready(client)
    return client, store


@pytest.fixture(scope="module")
def service(api_settings):
    client, store = make_client(api_settings, rate_limit=0)
    keys = {
        role: create_key(store, f"test-{role}-{uuid.uuid4().hex[:6]}", role)[1]
        for role in ("reader", "analyst", "admin")
    }
    yield client, store, keys
    client.__exit__(None, None, None)
    store.close()


@pytest.fixture
def client(service):
    return service[0]


@pytest.fixture
def store(service):
    return service[1]


def auth(keys, role="reader", header="bearer"):
    if header == "bearer":
        return {"Authorization": f"Bearer {keys[role]}"}
    return {"X-API-Key": keys[role]}


@pytest.fixture
def reader(service):
    return auth(service[2], "reader")


@pytest.fixture
def admin(service):
    return auth(service[2], "admin")


# -- /match -------------------------------------------------------------------------------


def test_match_answers_in_yentes_shape(client, store, reader):
    body = {
        "queries": {
            "q1": {
                "schema": "Person",
                "properties": {"name": ["Nicolás Maduro Moros"], "birthDate": ["1962-11-23"]},
            },
            "q2": {"schema": "Person", "properties": {"name": ["Zzyzx Qwertyuiop"]}},
        }
    }
    r = client.post("/match/default", json=body, headers=reader)
    assert r.status_code == 200, r.text
    data = r.json()
    assert set(data) >= {"responses", "limit", "matcher", "snapshots", "audit"}
    assert data["limit"] == 5
    q1 = data["responses"]["q1"]
    assert q1["status"] == 200
    assert q1["query"] == {"id": None, **body["queries"]["q1"]}
    assert q1["total"] == {"value": len(q1["results"]), "relation": "eq"}
    top = q1["results"][0]
    assert top["id"] == "us_ofac_sdn_2026:22790"
    assert top["match"] is True and 0.7 <= top["score"] <= 1.0
    assert {"id", "caption", "schema", "properties", "datasets", "score", "match"} <= set(top)
    assert {"features", "explanations", "referents", "target", "topics"} <= set(top)
    assert "MADURO MOROS" in " ".join(top["properties"]["name"])
    assert top["datasets"] == ["us_ofac_sdn_2026"] and top["schema"] == "Person"
    assert top["explanations"]["name"]["detail"]
    assert top["explanations"]["dob"]["score"] > 0
    assert data["responses"]["q2"] == {
        "status": 200,
        "results": [],
        "total": {"value": 0, "relation": "eq"},
        "query": {"id": None, **body["queries"]["q2"]},
    }
    active = {ds: sn.id for ds, sn in store.active_snapshots().items()}
    assert data["snapshots"] == active
    assert data["matcher"]["name"] == "tamiz-name-v1"
    assert isinstance(data["audit"]["seq"], int) and len(data["audit"]["hash"]) == 64


def test_a_bad_query_answers_400_and_the_others_still_answer(client, reader):
    queries = {
        "good": MADURO,
        "schema": {"schema": "Spaceship", "properties": {"name": ["X Y"]}},
        "date": {"schema": "Person", "properties": {"name": ["Ali"], "birthDate": ["1962-13-45"]}},
        "noname": {"schema": "Person", "properties": {"nationality": ["ve"]}},
        "country": {"schema": "Person", "properties": {"name": ["A B"], "country": ["Atlantis"]}},
        "shape": {"schema": "Person", "properties": {"name": "Nicolas Maduro"}},
    }
    r = client.post("/match/default", json={"queries": queries}, headers=reader)
    assert r.status_code == 200
    responses = r.json()["responses"]
    assert responses["good"]["status"] == 200 and responses["good"]["results"]
    assert responses["shape"]["status"] == 200  # a single string counts as one value
    for key, needle in (
        ("schema", "unknown schema"),
        ("date", "birth date"),
        ("noname", "name"),
        ("country", "unknown country"),
    ):
        item = responses[key]
        assert item["status"] == 400, key
        assert item["results"] == [] and item["total"]["value"] == 0
        assert needle in item["error"]["message"], item
        assert item["error"]["code"] == "invalid_query"


def test_match_parameters(client, reader):
    def match(params=None, dataset="default", query=MADURO):
        return client.post(
            f"/match/{dataset}", params=params or {}, json={"queries": {"q": query}}, headers=reader
        )

    several = match({"limit": 1, "threshold": 0.3})
    assert several.status_code == 200 and len(several.json()["responses"]["q"]["results"]) == 1
    assert several.json()["limit"] == 1
    yente = match({"algorithm": "logic-v1"})
    assert yente.json()["matcher"] == {
        **yente.json()["matcher"],
        "name": "tamiz-name-v1",
        "requested": "logic-v1",
    }
    bad = match({"algorithm": "magic-v9"})
    assert bad.status_code == 400 and "magic-v9" in bad.json()["error"]["message"]
    only_un = match(dataset="un_sc")
    assert set(only_un.json()["snapshots"]) == {"un_sc"}
    assert all(r["datasets"] == ["un_sc"] for r in only_un.json()["responses"]["q"]["results"])
    excluded = match({"exclude_dataset": "us_ofac_sdn_2026"})
    assert "us_ofac_sdn_2026" not in excluded.json()["snapshots"]
    included = match({"include_dataset": ["us_ofac_sdn_2026"]})
    assert set(included.json()["snapshots"]) == {"us_ofac_sdn_2026"}
    assert match(dataset="nope").status_code == 404
    assert match({"include_dataset": "nope"}).status_code == 400
    nothing_left = match({"include_dataset": "un_sc", "exclude_dataset": "un_sc"})
    assert nothing_left.status_code == 400
    assert match({"threshold": 2}).status_code == 422
    assert match({"threshold": "nan"}).status_code == 422
    assert match({"limit": 0}).status_code == 422
    # a lower cutoff returns non-matching candidates too, flagged match: false
    low = match({"cutoff": 0.01}, query={"schema": "Person", "properties": {"name": ["Maduro"]}})
    results = low.json()["responses"]["q"]["results"]
    assert results and any(not r["match"] for r in results)
    assert all(r["score"] >= 0.01 and r["match"] == (r["score"] >= 0.7) for r in results)
    excl_id = match({"exclude_entity_ids": "us_ofac_sdn_2026:22790"})
    assert "us_ofac_sdn_2026:22790" not in {
        r["id"] for r in excl_id.json()["responses"]["q"]["results"]
    }


def test_match_topics(client, reader):
    def ids(params):
        r = client.post(
            "/match/default", params=params, json={"queries": {"q": MADURO}}, headers=reader
        )
        assert r.status_code == 200
        return [res["id"] for res in r.json()["responses"]["q"]["results"]]

    assert "us_ofac_sdn_2026:22790" in ids({"topics": "sanction"})
    assert ids({"topics": "wanted"}) == []  # no FBI list here
    assert ids({"exclude_topics": "sanction"}) == []


def test_match_as_of(client, reader):
    r = client.post(
        "/match/default",
        params={"as_of": "2025-12-01"},
        json={"queries": {"q": MADURO}},
        headers=reader,
    )
    assert r.status_code == 200
    assert set(r.json()["snapshots"]) == {"un_sc"}  # the SDN excerpt is published 2026
    early = client.post(
        "/match/default",
        params={"as_of": "1990-01-01"},
        json={"queries": {"q": MADURO}},
        headers=reader,
    )
    assert early.status_code == 404
    bad = client.post(
        "/match/default",
        params={"as_of": "2025-02-30"},
        json={"queries": {"q": MADURO}},
        headers=reader,
    )
    assert bad.status_code == 422 and "as_of" in bad.json()["error"]["message"]


# -- errors, auth, limits ------------------------------------------------------------------


def test_errors_share_one_body(client, reader):
    def check(r, status, code):
        assert r.status_code == status, r.text
        body = r.json()
        assert set(body) == {"error"} and body["error"]["code"] == code, body
        assert body["error"]["message"]

    headers = {**reader, "content-type": "application/json"}
    check(
        client.post("/match/default", content=b'{"queries": ', headers=headers),
        400,
        "malformed_json",
    )
    check(client.post("/match/default", content=b"[1, 2]", headers=headers), 422, "invalid_request")
    check(
        client.post("/match/default", content=b'{"queries": {"q": {"a": NaN}}}', headers=headers),
        400,
        "malformed_json",
    )
    lone = b'{"queries": {"q": {"schema": "Person", "properties": {"name": ["\\ud800"]}}}}'
    check(client.post("/match/default", content=lone, headers=headers), 400, "malformed_json")
    check(client.post("/match/default", json={"queries": {}}, headers=reader), 400, "bad_request")
    check(client.get("/no/such/thing", headers=reader), 404, "not_found")
    check(client.get("/match/default", headers=reader), 405, "method_not_allowed")
    invalid = client.post("/match/default", json={"queries": "x"}, headers=reader)
    check(invalid, 422, "invalid_request")
    assert invalid.json()["error"]["details"][0]["loc"][:2] == ["body", "queries"]
    too_many = {"queries": {f"q{i}": MADURO for i in range(101)}}
    check(client.post("/match/default", json=too_many, headers=reader), 422, "invalid_request")


def test_authentication_and_roles(client, store, service):
    keys = service[2]
    bare = client.post("/match/default", json={"queries": {"q": MADURO}})
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"].startswith("Bearer")
    assert bare.json()["error"]["code"] == "unauthorized"
    wrong = client.get("/lists", headers={"Authorization": "Bearer tmz_nope"})
    assert wrong.status_code == 401 and "invalid" in wrong.json()["error"]["message"]
    assert client.get("/lists", headers=auth(keys, "reader", "x-api-key")).status_code == 200
    assert client.get("/lists", headers={"Authorization": "Basic abc"}).status_code == 401
    for path in ("/audit", "/audit/verify"):
        r = client.get(path, headers=auth(keys, "analyst"))
        assert r.status_code == 403 and "admin" in r.json()["error"]["message"]
    assert client.post("/admin/update", json={}, headers=auth(keys, "reader")).status_code == 403
    assert client.get("/audit", headers=auth(keys, "admin")).status_code == 200
    # no key needed for the probes and the documentation
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert client.get(path).status_code == 200, path
    # a revoked key is refused within seconds
    info, key = create_key(store, f"short-lived-{uuid.uuid4().hex[:6]}", "reader")
    headers = {"X-API-Key": key}
    assert client.get("/lists", headers=headers).status_code == 200
    revoke_key(store, info.id)
    deadline = time.monotonic() + 5
    while client.get("/lists", headers=headers).status_code == 200:
        assert time.monotonic() < deadline, "revoked key still accepted"
        time.sleep(0.2)
    assert client.get("/lists", headers=headers).status_code == 401


def test_rate_limit_per_key(api_settings):
    client, store = make_client(api_settings, rate_limit=0.5, rate_burst=2)
    try:
        _, one = create_key(store, f"rl-a-{uuid.uuid4().hex[:6]}", "reader")
        _, two = create_key(store, f"rl-b-{uuid.uuid4().hex[:6]}", "reader")
        codes = [client.get("/lists", headers={"X-API-Key": one}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = client.get("/lists", headers={"X-API-Key": one})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"
        assert client.get("/lists", headers={"X-API-Key": two}).status_code == 200
    finally:
        client.__exit__(None, None, None)
        store.close()


def test_request_body_limit(api_settings):
    client, store = make_client(api_settings, max_body_bytes=2000)
    try:
        _, key = create_key(store, f"size-{uuid.uuid4().hex[:6]}", "reader")
        big = {"queries": {f"q{i}": MADURO for i in range(60)}}
        r = client.post("/match/default", json=big, headers={"X-API-Key": key})
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"

        def chunks():  # no Content-Length: counted while it streams
            yield b'{"queries": {'
            for i in range(100):
                yield f'"q{i}": {{"schema": "Person", "properties": {{"name": ["A B"]}}}},'.encode()
            yield b'"z": {"schema": "Person", "properties": {"name": ["A B"]}}}}'

        r = client.post(
            "/match/default",
            content=chunks(),
            headers={"X-API-Key": key, "content-type": "application/json"},
        )
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
        small = client.post(
            "/match/default", json={"queries": {"q": MADURO}}, headers={"X-API-Key": key}
        )
        assert small.status_code == 200
    finally:
        client.__exit__(None, None, None)
        store.close()


def test_without_authentication_everyone_is_an_anonymous_admin(api_settings):
    client, store = make_client(api_settings, auth=False)
    try:
        r = client.post("/match/default", json={"queries": {"q": MADURO}})
        assert r.status_code == 200
        [record] = audit.records(store, limit=1)
        assert record.seq == r.json()["audit"]["seq"] and record.actor == "anonymous"
        assert client.get("/audit/verify").json()["ok"] is True
    finally:
        client.__exit__(None, None, None)
        store.close()


def test_screening_is_refused_when_it_cannot_be_recorded(api_settings, monkeypatch):
    from concurrent.futures import Future

    client, store = make_client(api_settings, audit_timeout=0.3)
    try:
        _, key = create_key(store, f"noaudit-{uuid.uuid4().hex[:6]}", "reader")
        writer = client.app.state.service.writer
        monkeypatch.setattr(writer, "submit", lambda *_a, **_k: Future())  # never committed
        r = client.post(
            "/match/default", json={"queries": {"q": MADURO}}, headers={"X-API-Key": key}
        )
        assert r.status_code == 503 and r.json()["error"]["code"] == "audit_unavailable"
        assert "results" not in r.text
    finally:
        client.__exit__(None, None, None)
        store.close()


# -- lookups ------------------------------------------------------------------------------


def test_search_is_paginated(client, reader):
    first = client.get("/search/default", params={"q": "Mohammed Ali", "limit": 2}, headers=reader)
    assert first.status_code == 200
    data = first.json()
    assert data["total"]["value"] >= 3 and len(data["results"]) == 2
    assert {"id", "caption", "schema", "properties", "score"} <= set(data["results"][0])
    second = client.get(
        "/search/default", params={"q": "Mohammed Ali", "limit": 2, "offset": 2}, headers=reader
    ).json()
    seen = {r["id"] for r in data["results"]}
    assert seen.isdisjoint(r["id"] for r in second["results"])
    everything = client.get(
        "/search/default", params={"q": "Mohammed Ali", "limit": 100}, headers=reader
    )
    assert len(everything.json()["results"]) == data["total"]["value"]
    maduro = client.get("/search/default", params={"q": "Maduro"}, headers=reader).json()
    assert "us_ofac_sdn_2026:22790" in {r["id"] for r in maduro["results"]}
    assert client.get("/search/default", params={"q": "..."}, headers=reader).status_code == 400
    assert client.get("/search/default", headers=reader).status_code == 422
    assert client.get("/search/nope", params={"q": "x"}, headers=reader).status_code == 404


def test_entity_with_designations_relations_and_snapshots(client, store, reader):
    r = client.get("/entities/us_ofac_sdn_2026:22790", headers=reader)
    assert r.status_code == 200
    e = r.json()
    assert e["id"] == "us_ofac_sdn_2026:22790" and e["schema"] == "Person" and e["listed"]
    assert e["designations"] and all("program" in d for d in e["designations"])
    assert any(d.get("first_seen") or d.get("listed_on") for d in e["designations"])
    assert e["properties"]["name"]
    active = store.active_snapshots()["us_ofac_sdn_2026"]
    assert e["snapshot"]["id"] == active.id
    assert [s["snapshot"] for s in e["appears_in"]] == [active.id]
    assert set(e["relations"]) == {"outgoing", "incoming"}
    # a party that others point at (Linked To) shows the relation from the other side
    cartel = client.get("/entities/us_ofac_sdn_2026:55025", headers=reader)
    assert cartel.status_code == 200
    record = store.entity("us_ofac_sdn_2026:55025")
    assert len(cartel.json()["relations"]["incoming"]) == len(record.related_from)
    missing = client.get("/entities/us_ofac_sdn_2026:000", headers=reader)
    assert missing.status_code == 404 and "unknown entity" in missing.json()["error"]["message"]
    bad = client.get("/entities/un_sc:QDi.430", params={"as_of": "yesterday"}, headers=reader)
    assert bad.status_code == 422


def test_lists_and_changes(client, store, reader):
    lists = client.get("/lists", headers=reader).json()
    assert {d["dataset"] for d in lists["datasets"]} == {"un_sc", "us_ofac_sdn_2026"}
    assert all(d["served"] for d in lists["datasets"])
    changes = client.get("/changes", params={"dataset": "un_sc"}, headers=reader)
    assert changes.status_code == 200
    first = changes.json()["changes"][0]
    assert first["initial"] and first["counts"]["added"] == 1000 and first["previous"] is None
    later = client.get("/changes", params={"since": "2999-01-01"}, headers=reader).json()
    assert later == {"changes": [], "next_since": None}
    assert client.get("/changes", params={"since": "soon"}, headers=reader).status_code == 400
    assert client.get("/changes", params={"dataset": "nope"}, headers=reader).status_code == 404


# -- /screen ------------------------------------------------------------------------------


def test_screen_batch(client, store, reader):
    body = {
        "records": [
            {"ref": "c-1", "full_name": "Nicolas Maduro", "dob": "1962-11-23", "city": "Caracas"},
            {"ref": "c-2", "full_name": "", "dob": ""},
            {"ref": "c-3", "full_name": "Zzyzx Qwertyuiop", "dob": "31/12/1999"},
        ],
        "name_column": "full_name",
        "dob_column": "dob",
        "ref_column": "ref",
        "schema": "Person",
    }
    r = client.post("/screen", json=body, headers=reader)
    assert r.status_code == 200, r.text
    data = r.json()
    rows = data["results"]
    assert [row["row"] for row in rows] == [1, 2, 3]
    assert [row["ref"] for row in rows] == ["c-1", "c-2", "c-3"]
    assert (
        rows[0]["results"][0]["id"] == "us_ofac_sdn_2026:22790" and rows[0]["results"][0]["match"]
    )
    assert rows[0]["query"]["birth_dates"] == ["1962-11-23"]
    assert rows[1]["error"] and rows[1]["results"] == []
    assert rows[2]["query"]["birth_dates"] == ["1999-12-31"] and rows[2]["results"] == []
    assert data["summary"] == {
        "records": 3,
        "screened": 2,
        "errors": 1,
        "alerts": sum(1 for x in rows[0]["results"] if x["match"]),
        "records_with_alerts": 1,
    }
    assert data["unused_fields"] == ["city"]
    [record] = audit.records(store, limit=1, action="screen")
    assert record.seq == data["audit"]["seq"]
    assert record.payload["details"]["records"] == 3
    assert record.payload["details"]["errors"] == {"2": rows[1]["error"]}
    assert {x["query"] for x in record.payload["results"]} == {"1"}
    assert client.post("/screen", json={"records": []}, headers=reader).status_code == 422
    many = {"records": [{"name": "A B"}] * 1001}
    assert client.post("/screen", json=many, headers=reader).status_code == 422
    both = {"records": [{"name": "A B"}], "schema": "Person", "schema_column": "t"}
    assert client.post("/screen", json=both, headers=reader).status_code == 400
    unknown = {"records": [{"name": "A B"}], "schema": "Spaceship"}
    assert client.post("/screen", json=unknown, headers=reader).status_code == 400


# -- audit --------------------------------------------------------------------------------


def test_every_screening_is_in_the_audit_trail(client, store, service, admin):
    keys = service[2]
    reader = auth(keys, "reader")
    m = client.post("/match/default", json={"queries": {"q": MADURO}}, headers=reader).json()
    s = client.get("/search/un_sc", params={"q": "Maduro"}, headers=reader).json()
    page = client.get("/audit", params={"limit": 5}, headers=admin).json()
    by_seq = {r["seq"]: r for r in page["records"]}
    match_record = by_seq[m["audit"]["seq"]]
    assert match_record["action"] == "match" and match_record["actor"].startswith("key:test-reader")
    payload = match_record["payload"]
    assert payload["datasets"] == m["snapshots"]
    assert payload["threshold"] == 0.7 and payload["algorithm"] == "tamiz-name-v1"
    assert payload["query"]["q"]["names"] == ["Nicolás Maduro"]
    top = m["responses"]["q"]["results"][0]
    assert payload["results"][0] == {
        "query": "q",
        "id": top["id"],
        "score": top["score"],
        "match": True,
    }
    assert match_record["hash"] == m["audit"]["hash"]
    search_record = by_seq[s["audit"]["seq"]]
    assert search_record["action"] == "search" and search_record["payload"]["datasets"] == {
        "un_sc": s["snapshots"]["un_sc"]
    }
    older = client.get(
        "/audit", params={"limit": 2, "before_seq": page["records"][-1]["seq"]}, headers=admin
    ).json()
    assert all(r["seq"] < page["records"][-1]["seq"] for r in older["records"])
    verified = client.get("/audit/verify", headers=admin).json()
    assert verified["ok"] is True and verified["last_seq"] >= m["audit"]["seq"]


# -- list updates -------------------------------------------------------------------------


def test_admin_update_swaps_the_index(api_settings, lists_dir):
    client, store = make_client(api_settings, rate_limit=0)
    try:
        _, key = create_key(store, f"upd-{uuid.uuid4().hex[:6]}", "admin")
        headers = {"X-API-Key": key}
        before = client.post("/match/default", json={"queries": {"q": MADURO}}, headers=headers)
        old = before.json()["snapshots"]["un_sc"]
        bad = client.post("/admin/update", json={"paths": ["/x"]}, headers=headers)
        assert bad.status_code == 400
        new_file = Path(lists_dir / "un_sc" / "consolidated-2026-02-27.xml")
        r = client.post(
            "/admin/update", json={"dataset": "un_sc", "paths": [str(new_file)]}, headers=headers
        )
        assert r.status_code == 200, r.text
        data = r.json()
        [result] = data["results"]
        assert result["status"] == "activated" and result["snapshot"] != old
        assert data["swapped"] is True and data["snapshots"]["un_sc"] == result["snapshot"]
        after = client.post("/match/default", json={"queries": {"q": MADURO}}, headers=headers)
        assert after.json()["snapshots"]["un_sc"] == result["snapshot"]
        [record] = audit.records(store, limit=1, action="list_update")
        assert record.payload["datasets"] == {"un_sc": result["snapshot"]}
        # put the module's store back as the other tests expect it
        store.set_active("un_sc", old)
        client.app.state.service.refresh()
    finally:
        client.__exit__(None, None, None)
        store.close()
