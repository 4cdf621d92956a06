"""The analyst console (``tamiz.web``) over HTTP: sessions and CSRF, roles, every page, the
decision flow with four-eyes, the audit page, and the CDN-free API documentation.

One SQLite store for the module, loaded from the shared mirror with the UN list (three
snapshots, so there is a change feed) and the 2026 OFAC SDN excerpt; a monitored book whose
parties raise alerts is added through the API. The browser journey is in test_browser.py.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tamiz.api.app import create_app
from tamiz.api.config import ApiConfig
from tamiz.store import Settings, Store, audit, cases
from tamiz.store.keys import create_key, revoke_key
from tamiz.store.updates import update_from_mirror
from tamiz.web.explain import explanation_view
from tamiz.web.graph import CROWDED_WIDTH, Link, layout
from tamiz.web.session import SessionSigner, load_secret
from tamiz.web.views import diff_counts

PARTIES = [
    {"party_id": "c-1001", "names": ["Cartel de los Soles S.A."], "schema": "Organization"},
    {
        "party_id": "c-1002",
        "names": ["Nicolás Maduro Moros"],
        "schema": "Person",
        "birth_dates": ["1962-11-23"],
        "countries": ["VE"],
        "record": {"ref": "c-1002", "segment": "private banking"},
    },
    {"party_id": "c-1003", "names": ["Emran Ali"], "schema": "Person"},
]
CONFIG = ApiConfig(refresh_interval=0, build_in_subprocess=False, rate_limit=0)


@pytest.fixture(scope="module")
def env(tmp_path_factory, lists_dir) -> Iterator[dict]:
    saved = os.environ.pop("TAMIZ_WEB_SECRET", None)
    home = tmp_path_factory.mktemp("web")
    store = Store.open(Settings(home=home, database_url=f"sqlite:///{home / 'tamiz.db'}"))
    results = update_from_mirror(store, lists_dir, ["un_sc", "us_ofac_sdn_2026"])
    assert {r.status for r in results} == {"activated"}, results
    keys = {
        "admin": create_key(store, "ana-admin", "admin"),
        "analyst": create_key(store, "alex-analyst", "analyst"),
        "analyst2": create_key(store, "bea-analyst", "analyst"),
        "reader": create_key(store, "rita-reader", "reader"),
    }
    app = create_app(store, config=CONFIG)
    with TestClient(app) as api:
        added = api.post(
            "/monitor/parties",
            json={"book": "retail", "parties": PARTIES},
            headers={"Authorization": f"Bearer {keys['analyst'][1]}"},
        )
        assert added.status_code == 200, added.text
        yield {"app": app, "store": store, "keys": keys, "home": home, "lists": lists_dir}
    store.close()
    if saved is not None:
        os.environ["TAMIZ_WEB_SECRET"] = saved


def browser(env, *, https: bool = False) -> TestClient:
    """A client with its own cookie jar (the app's lifespan already runs in ``env``)."""
    base = "https://testserver" if https else "http://testserver"
    return TestClient(env["app"], base_url=base, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def log_in(client: TestClient, key: str, next_url: str = "/ui/search"):
    form = client.get("/ui/login")
    assert form.status_code == 200
    return client.post("/ui/login", data={"key": key, "csrf": csrf_of(form.text), "next": next_url})


def user(env, role: str, **kwargs) -> TestClient:
    client = browser(env, **kwargs)
    assert log_in(client, env["keys"][role][1]).status_code == 303
    return client


def alert_id(env, party_id: str) -> int:
    [found] = cases.list_alerts(env["store"], party_id=party_id)
    return found.id


# -- sessions -------------------------------------------------------------------------------


def test_pages_need_a_session_while_the_api_keeps_401(env):
    client = browser(env)
    page = client.get("/ui/alerts?status=open")
    assert page.status_code == 303
    assert page.headers["location"] == "/ui/login?next=%2Fui%2Falerts%3Fstatus%3Dopen"
    api = client.get("/alerts")
    assert api.status_code == 401 and api.json()["error"]["code"] == "unauthorized"
    assert client.get("/").headers["location"] == "/ui/search"
    assert client.get("/ui/static/console.css").status_code == 200
    unknown = client.get("/ui/no-such-page")
    assert unknown.status_code == 404 and "There is no such page" in unknown.text


def test_login_sets_a_signed_http_only_cookie_without_the_key(env):
    client = browser(env)
    key_id, key = env["keys"]["analyst"][0].id, env["keys"]["analyst"][1]
    form = client.get("/ui/login")
    token = csrf_of(form.text)
    assert 'type="password"' in form.text and '<label for="key">' in form.text

    wrong = client.post("/ui/login", data={"key": "tmz_nope", "csrf": token})
    assert wrong.status_code == 401 and "not valid or has been revoked" in wrong.text
    stale = client.post("/ui/login", data={"key": key, "csrf": "forged"})
    assert stale.status_code == 400 and "expired" in stale.text

    ok = client.post("/ui/login", data={"key": key, "csrf": csrf_of(client.get("/ui/login").text)})
    assert ok.status_code == 303 and ok.headers["location"] == "/ui/search"
    cookie = next(c for c in ok.headers.get_list("set-cookie") if c.startswith("tamiz_session="))
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert "secure" not in attributes  # plain http (loopback development)
    value = cookie.split(";")[0].split("=", 1)[1]
    secret = key.rsplit("_", 1)[1]
    assert key not in value and secret not in value
    page = client.get("/ui/search")
    assert page.status_code == 200 and "alex-analyst" in page.text
    records = audit.records(env["store"], action="console_login", actor="key:alex-analyst")
    assert records and records[0].payload["details"]["key_id"] == key_id

    # an open redirect is not possible through ``next``
    other = browser(env)
    form = other.get("/ui/login")
    away = other.post(
        "/ui/login", data={"key": key, "csrf": csrf_of(form.text), "next": "//evil.example/x"}
    )
    assert away.headers["location"] == "/ui/search"


def test_https_sessions_use_secure_host_only_cookies(env):
    client = browser(env, https=True)
    response = log_in(client, env["keys"]["reader"][1], "/ui/lists")
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-tamiz_session=")
    )
    assert "secure" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert client.get("/ui/lists").status_code == 200


def test_forged_expired_and_foreign_sessions_are_refused(env):
    client = user(env, "reader")
    good = client.cookies["tamiz_session"]
    body, mac = good.split(".")
    for bad in (f"{body}.{mac[:-2]}xx", f"{body[:-3]}abc.{mac}", "garbage", ""):
        client.cookies.set("tamiz_session", bad)
        assert client.get("/ui/search").status_code == 303, bad
    foreign = SessionSigner(b"another server's secret, 32+ chars long")
    _s, cookie = foreign.issue(env["keys"]["reader"][0].id)
    client.cookies.set("tamiz_session", cookie)
    assert client.get("/ui/search").status_code == 303
    # the anonymous session of a no-auth server is worth nothing where keys are required
    signer = env["app"].state.console.signer
    _s, anonymous = signer.issue("-")
    client.cookies.set("tamiz_session", anonymous)
    assert client.get("/ui/search").status_code == 303
    client.cookies.set("tamiz_session", good)
    assert client.get("/ui/search").status_code == 200


def test_session_signer_expiry_and_csrf():
    signer = SessionSigner(b"x" * 40, hours=1)
    session, cookie = signer.issue("abc", now=1_000_000)
    assert signer.read(cookie, now=1_000_000 + 3599) == session
    assert signer.read(cookie, now=1_000_000 + 3600) is None
    token = signer.csrf_token(session.nonce)
    assert signer.csrf_ok(session.nonce, token)
    tampered = token[:-1] + ("B" if token.endswith("A") else "A")  # (a random token may end in A)
    assert not signer.csrf_ok(session.nonce, tampered)
    assert not signer.csrf_ok("other", token) and not signer.csrf_ok(session.nonce, "")


def test_workers_share_one_secret_file(tmp_path, monkeypatch):
    monkeypatch.delenv("TAMIZ_WEB_SECRET", raising=False)
    first = load_secret(tmp_path)
    assert load_secret(tmp_path) == first and len(first) >= 32
    assert (tmp_path / "web-session.key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("TAMIZ_WEB_SECRET", "short")
    with pytest.raises(ValueError, match="at least 32"):
        load_secret(tmp_path)
    monkeypatch.setenv("TAMIZ_WEB_SECRET", "s" * 40)
    assert load_secret(tmp_path) == b"s" * 40


def test_logout_needs_the_csrf_token_and_ends_the_session(env):
    client = user(env, "analyst")
    page = client.get("/ui/search")
    cookie = client.cookies["tamiz_session"]
    refused = client.post("/ui/logout", data={"csrf": "nope"})
    assert refused.status_code == 403 and "security token" in refused.text
    out = client.post("/ui/logout", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/ui/login?out=1"
    assert "You are logged out" in client.get("/ui/login?out=1").text
    client.cookies.set("tamiz_session", cookie)  # a copy taken before logging out
    assert client.get("/ui/search").status_code == 303
    assert audit.records(env["store"], action="console_logout", actor="key:alex-analyst")


def test_revoking_the_key_ends_its_console_sessions(env):
    store = env["store"]
    info, key = create_key(store, "temp-analyst", "analyst")
    client = browser(env)
    assert log_in(client, key).status_code == 303
    assert client.get("/ui/alerts").status_code == 200
    revoke_key(store, info.id)
    env["app"].state.console.forget_key(info.id)  # else within keys.CACHE_TTL seconds
    assert client.get("/ui/alerts").status_code == 303


def test_a_state_changing_form_from_another_origin_is_refused(env):
    client = user(env, "analyst")
    number = alert_id(env, "c-1003")
    token = csrf_of(client.get(f"/ui/alerts/{number}").text)
    sent = client.post(
        f"/ui/alerts/{number}/decision",
        data={"csrf": token, "status": "escalated", "reason": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert sent.status_code == 403 and "another site" in sent.text


# -- roles ----------------------------------------------------------------------------------


def test_roles_decide_what_the_console_offers(env):
    reader, analyst, admin = (user(env, r) for r in ("reader", "analyst", "admin"))
    number = alert_id(env, "c-1003")
    for path in ("/ui/search", "/ui/lists", "/ui/alerts", f"/ui/alerts/{number}"):
        assert reader.get(path).status_code == 200, path
    nav = reader.get("/ui/search").text
    assert 'href="/ui/audit"' not in nav and 'href="/ui/alerts"' in nav
    forbidden = reader.get("/ui/audit")
    assert forbidden.status_code == 403 and "needs the admin role" in forbidden.text
    alert_page = reader.get(f"/ui/alerts/{number}").text
    assert "needs the analyst role" in alert_page and 'id="decision-form"' not in alert_page
    token = csrf_of(alert_page)
    decided = reader.post(
        f"/ui/alerts/{number}/decision",
        data={"csrf": token, "status": "false_positive", "reason": "x"},
    )
    assert decided.status_code == 403
    assert "Update the lists" not in reader.get("/ui/lists").text
    assert reader.post("/ui/lists/update", data={"csrf": token}).status_code == 403

    assert analyst.get("/ui/audit").status_code == 403
    assert 'id="decision-form"' in analyst.get(f"/ui/alerts/{number}").text
    assert admin.get("/ui/audit").status_code == 200
    assert 'href="/ui/audit"' in admin.get("/ui/search").text
    assert "Update the lists" in admin.get("/ui/lists").text


# -- search ---------------------------------------------------------------------------------


def test_search_shows_ranked_results_with_the_aligned_explanation(env):
    client = user(env, "reader")
    page = client.get("/ui/search", params={"q": "Cartel of the Suns"})
    assert page.status_code == 200
    html = page.text
    assert 'href="/ui/entities/us_ofac_sdn_2026:55025">CARTEL DE LOS SOLES</a>' in html
    assert "alias (a.k.a.)" in html and "CARTEL OF THE SUNS" in html
    rows = re.findall(r'<tr class="how-([a-z-]+)">', html)
    assert rows[:2] == ["exact", "exact"]
    assert "badge-alert" in html and "FTO" in html and "SDGT" in html
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    # recorded in the audit trail like an API search, by the key's actor
    [record] = audit.records(env["store"], action="search", actor="key:rita-reader", limit=1)
    assert record.payload["details"]["endpoint"] == "/ui/search"
    assert record.payload["query"]["q"]["names"] == ["Cartel of the Suns"]
    assert record.payload["results"][0]["id"] == "us_ofac_sdn_2026:55025"
    assert f'record <span class="mono">#{record.seq}</span>' in html


def test_search_with_birth_date_and_country_shows_attribute_evidence(env):
    client = user(env, "reader")
    html = client.get(
        "/ui/search",
        params={"q": "Nikolas Madura", "dob": "1962-11-23", "country": "Venezuela"},
    ).text
    first = html.split('<li class="result')[1]
    assert "MADURO MOROS, Nicolas" in first
    assert '<tr class="how-phonetic">' in first
    assert '<li class="ev-agrees"><strong>Date of birth</strong>' in first
    assert '<li class="ev-agrees"><strong>Country</strong>' in first
    assert 'class="how-missing-query"' in first  # "moros" is only in the list name
    contradicted = client.get(
        "/ui/search", params={"q": "Nicolas Maduro", "dob": "1990-01-01", "schema": "Person"}
    ).text
    assert '<li class="ev-contradicts"><strong>Date of birth</strong>' in contradicted


def test_search_refuses_bad_input_with_a_message(env):
    client = user(env, "reader")
    bad_date = client.get("/ui/search", params={"q": "Maduro", "dob": "1962-13-01"})
    assert bad_date.status_code == 400 and "birth date" in bad_date.text
    bad_list = client.get("/ui/search", params={"q": "Maduro", "dataset": "nope"})
    assert bad_list.status_code == 404 and "unknown dataset" in bad_list.text
    one_list = client.get("/ui/search", params={"q": "Maduro", "dataset": "un_sc"})
    assert one_list.status_code == 200 and "us_ofac_sdn_2026:" not in one_list.text
    empty = client.get("/ui/search", params={"q": "   "})
    assert empty.status_code == 200 and 'class="results"' not in empty.text


def test_explanation_rows_follow_the_query_order():
    view = explanation_view(
        {
            "query_name": "Nicolas Maduro Guerra",
            "matched_name": "MADURO MOROS, Nicolas",
            "name_kind": "primary",
            "name_score": 0.8,
            "aligned": [
                {
                    "query": "maduro",
                    "list": "maduro",
                    "how": "exact",
                    "weight": 11,
                    "similarity": 1,
                },
                {"query": "nicolas", "list": "nicolas", "how": "exact", "weight": 10},
            ],
            "unmatched_query_tokens": ["guerra"],
            "unmatched_list_tokens": ["moros"],
            "attributes": [{"attribute": "dob", "outcome": "contradict", "effect": -4.5}],
        }
    )
    assert [(r.query, r.listed, r.how) for r in view.rows] == [
        ("nicolas", "nicolas", "exact"),
        ("maduro", "maduro", "exact"),
        ("guerra", "", "missing-list"),
        ("", "moros", "missing-query"),
    ]
    assert view.attributes[0].verdict == "contradicts" and view.name_kind_label == "primary name"
    assert explanation_view({}) is None


# -- entity ---------------------------------------------------------------------------------


def test_entity_page_has_names_designation_timeline_and_snapshots(env):
    client = user(env, "reader")
    html = client.get("/ui/entities/us_ofac_sdn_2026:55025").text
    timeline = html.split('<ol class="timeline"')[1].split("</ol>")[0]
    assert "FTO (Foreign Terrorist Organization)" in timeline
    assert "SDGT (Specially Designated Global Terrorist)" in timeline
    assert "US Department of State" in timeline and "E.O. 13224" in timeline
    assert "no designation date in the list" in timeline  # OFAC's CSV states none
    assert '<time datetime="2026-01-01">' in timeline
    assert "CARTEL OF THE SUNS" in html and 'class="kind kind-aka"' in html
    assert "Venezuela (VE)" in html
    assert "states no relation" in html
    assert client.get("/ui/entities/us_ofac_sdn_2026:99999999").status_code == 404
    assert client.get("/ui/entities/un_sc:QDi.430?as_of=yesterday").status_code == 400


def test_un_entity_shows_dates_identifiers_and_a_clickable_relation_graph(env):
    client = user(env, "reader")
    html = client.get("/ui/entities/un_sc:QDi.430").text
    assert '<time datetime="2021-11-23">' in html and "Listed: QD" in html
    assert "Amended by the publisher" in html  # the UN's "last day updated"
    assert "TB162181" in html and "Trinidad and Tobago (TT)" in html
    svg = html.split('<svg class="graph"')[1].split("</svg>")[0]
    assert '<a href="/ui/entities/un_sc:QDe.115" tabindex="-1">' in svg
    assert 'aria-hidden="true"' in html.split('<svg class="graph"')[1].split(">")[0]
    relations = html.split('<section id="relations"')[1]
    assert '<a href="/ui/entities/un_sc:QDe.115">AL-QAIDA IN IRAQ</a>' in relations
    # the other way round: the organisation lists the people naming it
    target = client.get("/ui/entities/un_sc:QDe.115").text
    assert '<a href="/ui/entities/un_sc:QDi.430">EMRAAN ALI</a>' in target
    assert "Entries linked to it" in target and "more are listed below but not drawn" in target


def test_entity_changed_between_snapshots_shows_it_on_the_timeline(env):
    client = user(env, "reader")
    diff = env["store"].diff("un_sc", "2025-11-20", "2026-02-27")
    changed_id, fields = diff.changed[0]
    html = client.get(f"/ui/entities/{changed_id}").text
    assert "Entry changed in the list" in html
    assert f"changed: {fields[0]}" in html
    removed = client.get(f"/ui/entities/{diff.removed[0]}").text
    assert "no longer listed" in removed and "Removed: absent from the list snapshot" in removed


def test_graph_layout_keeps_every_node_inside_the_drawing():
    from tamiz.model import Entity, Name, Schema

    centre = Entity("x:1", "x", Schema.ORGANIZATION, (Name("CENTRE"),))
    links = [Link("linked_to", "linked to", "in", f"x:{i}", f"PARTY {i}") for i in range(40)]
    graph = layout(centre, links)
    assert graph.width == CROWDED_WIDTH and len(graph.nodes) + graph.hidden == 40
    for node in graph.nodes:
        assert 0 < node.x < graph.width and 0 < node.y < graph.height
    few = layout(centre, links[:1])
    assert few.nodes[0].y < few.center_y and few.edges[0].y1 < few.edges[0].y2  # arrow inwards


# -- lists ----------------------------------------------------------------------------------


def test_lists_page_shows_datasets_and_the_change_feed(env):
    client = user(env, "reader")
    html = client.get("/ui/lists").text
    assert "UN Security Council Consolidated List" in html and "us_ofac_sdn_2026" in html
    assert "1,003" in html  # entities of the active UN snapshot
    feed = html.split('id="feed-title"')[1]
    assert feed.count("initial load") == 2 and feed.count(">changes</a>") == 4
    link = re.search(r'href="(/ui/lists/un_sc/changes/[0-9a-f]+)"', feed).group(1)
    changes = client.get(link).text
    diff = env["store"].diff("un_sc", "2025-11-20", "2026-02-27")
    for entity_id in (*diff.added, *diff.removed):
        assert f'href="/ui/entities/{entity_id}"' in changes
    assert f"changed: {', '.join(diff.changed[0][1])}" in changes
    # the feed counts in SQL; they agree with the store's full diff
    counts = diff_counts(env["store"], diff.from_snapshot.id, diff.to_snapshot.id)
    assert counts == (len(diff.added), len(diff.removed), len(diff.changed))
    row = feed.split(diff.to_snapshot.id)[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">([\d,]+)</td>', row) == [str(n) for n in counts]
    assert client.get("/ui/lists/un_sc/changes/ffffffffffffffff").status_code == 404


def test_admin_updates_the_lists_from_the_console(env):
    admin = user(env, "admin")
    token = csrf_of(admin.get("/ui/lists").text)
    missing = admin.post("/ui/lists/update", data={"csrf": token, "source": "mirror"})
    assert missing.status_code == 400 and "mirror directory" in missing.text
    done = admin.post(
        "/ui/lists/update",
        data={
            "csrf": token,
            "source": "mirror",
            "mirror": str(env["lists"]),
            "datasets": "us_ofac_sdn_2026",
        },
    )
    assert done.status_code == 200, done.text
    assert "Update results" in done.text and "<strong>unchanged</strong>" in done.text
    [record] = audit.records(env["store"], action="list_update", limit=1)
    assert record.actor == "key:ana-admin" and record.payload["details"]["via"] == "/ui/lists"


# -- alerts ---------------------------------------------------------------------------------


def test_alert_queue_filters_and_sorts(env):
    client = user(env, "reader")
    html = client.get("/ui/alerts", params={"book": "retail", "sort": "-score"}).text
    parties = re.findall(r'<td class="mono">(c-\d+)</td>', html)
    assert {"c-1001", "c-1002"} <= set(parties)
    scores = [float(s) for s in re.findall(r'<span class="score-num">([\d.]+)</span>', html)]
    assert scores == sorted(scores, reverse=True)
    ascending = client.get("/ui/alerts", params={"sort": "score"}).text
    low = [float(s) for s in re.findall(r'<span class="score-num">([\d.]+)</span>', ascending)]
    assert low == sorted(low)
    closed = client.get("/ui/alerts", params={"status": "closed"}).text
    assert "No alert matches these filters" in closed
    odd = client.get("/ui/alerts", params={"sort": "nonsense", "changed": "maybe"})
    assert odd.status_code == 200 and "Ignored: unknown changed filter" in odd.text


def test_alert_page_puts_party_and_list_entry_side_by_side(env):
    client = user(env, "reader")
    number = alert_id(env, "c-1002")
    html = client.get(f"/ui/alerts/{number}").text
    compare = html.split('<table class="compare">')[1].split("</table>")[0]
    assert "Nicolás Maduro Moros" in compare and "MADURO MOROS, Nicolas (primary)" in compare
    assert "1962-11-23" in compare and "Venezuela (VE)" in compare
    assert 'class="ev-agrees"' in compare and "Cedula No.: 5892464 (VE)" in compare
    assert "private banking" in html  # the party's own record
    assert '<tr class="how-exact">' in html
    assert "<td>created</td>" in html  # the history
    assert client.get("/ui/alerts/999999").status_code == 404
    assert client.get("/ui/alerts/abc").status_code == 404


def test_deciding_an_alert_needs_csrf_and_a_reason_and_is_audited(env):
    client = user(env, "analyst")
    number = alert_id(env, "c-1003")
    page = client.get(f"/ui/alerts/{number}").text
    token = csrf_of(page)
    url = f"/ui/alerts/{number}/decision"
    no_token = client.post(url, data={"status": "false_positive", "reason": "x"})
    assert no_token.status_code == 403
    no_reason = client.post(url, data={"csrf": token, "status": "false_positive", "reason": " "})
    assert no_reason.status_code == 400 and "needs a reason" in no_reason.text
    assert 'value="false_positive" required checked' in no_reason.text  # the choice is kept
    no_status = client.post(url, data={"csrf": token, "reason": "keep me"})
    assert no_status.status_code == 400 and "Choose a decision" in no_status.text
    assert ">keep me</textarea>" in no_status.text

    reason = "Different person: born 1988 in Leeds, per passport on file"
    done = client.post(url, data={"csrf": token, "status": "false_positive", "reason": reason})
    assert done.status_code == 303
    location = done.headers["location"]
    seq = int(re.search(r"seq=(\d+)", location).group(1))
    assert location.startswith(f"/ui/alerts/{number}?done=decision&seq=")
    record = next(r for r in audit.records(env["store"], action="alert_decision") if r.seq == seq)
    assert record.actor == "key:alex-analyst"
    assert record.payload["details"]["reason"] == reason
    assert record.payload["details"]["to"] == "false_positive"
    after = client.get(location).text
    assert "Decision recorded" in after and f"Audit record #{seq}" in after
    assert reason in after and "status-false_positive" in after


def test_four_eyes_true_match_needs_a_second_analyst(env):
    cases.configure_book(env["store"], "retail", four_eyes=True)
    first, second = user(env, "analyst"), user(env, "analyst2")
    number = alert_id(env, "c-1002")
    url = f"/ui/alerts/{number}/decision"
    page = first.get(f"/ui/alerts/{number}").text
    assert "four-eyes" in page and "a second analyst must confirm" in page
    body = {"csrf": csrf_of(page), "status": "true_match", "reason": "same cedula 5892464"}
    proposed = first.post(url, data=body)
    assert proposed.headers["location"].startswith(f"/ui/alerts/{number}?done=proposal")
    waiting = first.get(proposed.headers["location"]).text
    assert "status-pending_true_match" in waiting and "You proposed it" in waiting
    again = first.post(url, data=body)
    assert again.status_code == 409 and "different analyst" in again.text
    page2 = second.get(f"/ui/alerts/{number}").text
    assert "True match proposed by <strong>key:alex-analyst</strong>" in page2
    confirmed = second.post(url, data={**body, "csrf": csrf_of(page2)})
    assert confirmed.headers["location"].startswith(f"/ui/alerts/{number}?done=confirmation")
    assert cases.get_alert(env["store"], number).status == "true_match"


# -- audit ----------------------------------------------------------------------------------


def test_audit_page_filters_pages_and_verifies_the_chain(env):
    admin = user(env, "admin")
    assert admin.get("/ui/search", params={"q": "Tren de Aragua"}).status_code == 200
    page = admin.get("/ui/audit")
    assert page.status_code == 200
    seqs = [int(s) for s in re.findall(r'<th scope="row" class="mono">(\d+)</th>', page.text)]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) > 5
    older = admin.get("/ui/audit", params={"before": seqs[2]}).text
    first_older = re.search(r'<th scope="row" class="mono">(\d+)</th>', older).group(1)
    assert int(first_older) == seqs[3]
    searches = admin.get("/ui/audit", params={"action": "search"}).text
    actions = set(re.findall(r'<tr class="action-([a-z_]+)">', searches))
    assert actions == {"search"}

    token = csrf_of(page.text)
    assert admin.post("/ui/audit/verify", data={"csrf": "x"}).status_code == 403
    fragment = admin.post(
        "/ui/audit/verify", data={"csrf": token}, headers={"X-Console-Fragment": "1"}
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Intact." in fragment.text
    full = admin.post("/ui/audit/verify", data={"csrf": token})
    assert "<html" in full.text and "Intact." in full.text


# -- documentation and the no-auth mode -----------------------------------------------------


def test_api_documentation_is_served_without_a_cdn(env):
    client = browser(env)
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in docs.text and "cdn" not in docs.text.lower()
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200
    redoc = client.get("/redoc")
    assert "/docs-assets/redoc.standalone.js" in redoc.text and "cdn" not in redoc.text.lower()
    paths = client.get("/openapi.json").json()["paths"]
    assert "/match/{dataset}" in paths and not any(p.startswith("/ui") for p in paths)


def test_without_authentication_the_console_opens_as_anonymous_admin(env, tmp_path):
    app = create_app(env["store"], config=ApiConfig(auth=False, refresh_interval=0))
    with TestClient(app, follow_redirects=False) as client:
        first = client.get("/ui/audit")
        assert first.headers["location"].startswith("/ui/login")
        login = client.get(first.headers["location"])
        assert login.status_code == 303 and login.headers["location"] == "/ui/audit"
        page = client.get("/ui/audit")
        assert page.status_code == 200 and "anonymous" in page.text
        assert "Log out" not in page.text


def test_package_ships_templates_and_static_files():
    root = Path(__import__("tamiz.web", fromlist=["x"]).__file__).parent
    for name in ("base.html", "search.html", "entity.html", "alert.html", "audit.html"):
        assert (root / "templates" / name).is_file()
    script = (root / "static" / "console.js").read_text()
    assert "fetch(" in script and "http" not in script.replace("HTTP", "")  # no remote URL
