"""The analyst console in a real browser: Playwright driving Debian's headless Chromium
against ``tamiz serve`` (two worker processes) over the UN list and the 2026 OFAC SDN
excerpt, with a monitored book whose parties raise alerts.

The journey: log in -> search "Cartel of the Suns" -> open the entity (FTO and SDGT on its
timeline) -> alerts queue -> open an alert -> decide it false positive with the keyboard
only -> find the decision on the audit page and verify the chain. Every page is saved as a
screenshot under tests/artifacts/ and must log no console error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tamiz.store import Settings, Store
from tamiz.store.keys import create_key
from tamiz.store.updates import update_from_mirror

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PARTIES = [
    {"party_id": "c-1001", "names": ["Cartel de los Soles S.A."], "schema": "Organization"},
    {
        "party_id": "c-1002",
        "names": ["Nicolás Maduro Moros"],
        "schema": "Person",
        "birth_dates": ["1962-11-23"],
        "countries": ["VE"],
    },
    {"party_id": "c-1003", "names": ["Maria Fernanda Lopez"], "schema": "Person"},
]


def _browser_or_skip() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = f"{CHROMIUM} is missing (scripts/ensure-test-services.sh installs Debian's chromium)"
    if os.environ.get("TAMIZ_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server(tmp_path_factory, lists_dir, serve_tamiz) -> Iterator[dict]:
    """``tamiz serve`` on a free loopback port over a store with the UN list and the 2026
    SDN excerpt; keys for every role; a book of three parties screened through the API."""
    _browser_or_skip()
    home = tmp_path_factory.mktemp("console")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'tamiz.db'}")
    store = Store.open(settings)
    try:
        results = update_from_mirror(store, lists_dir, ["un_sc", "us_ofac_sdn_2026"])
        assert {r.status for r in results} == {"activated"}, results
        keys = {
            "admin": create_key(store, "ana-admin", "admin")[1],
            "analyst": create_key(store, "alex-analyst", "analyst")[1],
            "reader": create_key(store, "rita-reader", "reader")[1],
        }
    finally:
        store.close()
    # the workers must share the console's secret file: no TAMIZ_WEB_SECRET
    with serve_tamiz(
        home,
        settings.database_url,
        log=home / "serve.log",
        env={"TAMIZ_API_REFRESH_INTERVAL": "1", "TAMIZ_WEB_SECRET": None},
    ) as base:
        added = httpx.post(
            f"{base}/monitor/parties",
            json={"book": "retail", "parties": PARTIES},
            headers={"Authorization": f"Bearer {keys['analyst']}"},
            timeout=60,
        )
        assert added.status_code == 200, added.text
        alerts = httpx.get(
            f"{base}/alerts",
            headers={"Authorization": f"Bearer {keys['reader']}"},
            timeout=10,
        ).json()["alerts"]
        assert any(a["party_id"] == "c-1001" for a in alerts), alerts
        yield {"base": base, "keys": keys, "alerts": alerts, "home": home}


@pytest.fixture(scope="module")
def browser(server) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Journey:
    """A page that records console errors and saves a screenshot of every step."""

    def __init__(self, page, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def forget_refusals(self) -> None:
        """Chromium logs an intended 401/403 page load as a console error: drop those."""
        self.errors = [
            e for e in self.errors if "status of 401" not in e and "status of 403" not in e
        ]

    def shot(self, name: str, *, full_page: bool = True) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=full_page)
        assert not self.errors, f"console errors on {self.page.url}: {self.errors}"

    def tab_until(self, selector: str, limit: int = 60) -> int:
        """Press Tab until ``selector`` has the focus; the number of presses."""
        for presses in range(1, limit + 1):
            self.page.keyboard.press("Tab")
            if self.page.evaluate(
                "s => document.activeElement && document.activeElement.matches(s)", selector
            ):
                return presses
        raise AssertionError(f"{selector} not reached with {limit} presses of Tab")


def test_console_journey(server, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    j = Journey(page, server["base"])
    base = server["base"]

    # an unauthenticated page request goes to the login page; the API still answers 401 JSON
    page.goto(f"{base}/ui/alerts")
    expect(page).to_have_url(f"{base}/ui/login?next=%2Fui%2Falerts")
    assert httpx.get(f"{base}/alerts").status_code == 401
    j.shot("01-login")
    page.get_by_label("API key").fill("tmz_not_a_real_key")
    page.get_by_label("API key").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    j.forget_refusals()
    page.get_by_label("API key").fill(server["keys"]["analyst"])
    page.get_by_label("API key").press("Enter")  # forms submit with Enter
    expect(page).to_have_url(f"{base}/ui/alerts")
    cookies = {c["name"]: c for c in context.cookies()}
    session = cookies["tamiz_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert server["keys"]["analyst"] not in session["value"]
    assert server["keys"]["analyst"].split("_")[2] not in session["value"]

    # search: keyboard from the top of the page reaches the search box through the skip link
    page.goto(f"{base}/ui/search")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    j.tab_until("#q", limit=1)
    page.keyboard.type("Cartel of the Suns")
    page.keyboard.press("Enter")
    expect(page).to_have_url(
        f"{base}/ui/search?q=Cartel+of+the+Suns&dob=&country=&schema=&dataset="
    )
    first = page.locator("li.result").first
    expect(first.get_by_role("heading")).to_contain_text("CARTEL DE LOS SOLES")
    tokens = first.locator("table.tokens tbody tr")
    expect(tokens.first).to_have_class("how-exact")
    expect(first).to_contain_text("alias (a.k.a.)")
    expect(page.locator(".results .meta")).to_contain_text("recorded in the audit trail")
    j.shot("02-search")

    # a second search with a birth date shows the attribute evidence
    page.get_by_label("Name", exact=True).fill("Nicolas Maduro")
    page.get_by_label("Date of birth (optional)").fill("1962-11-23")
    page.get_by_label("Date of birth (optional)").press("Enter")
    expect(page.locator("li.result").first.locator(".evidence")).to_contain_text("agrees")

    # the entity, opened from the result
    page.goto(f"{base}/ui/search?q=Cartel+of+the+Suns")
    page.locator("li.result").first.get_by_role("link", name="CARTEL DE LOS SOLES").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CARTEL DE LOS SOLES")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("FTO (Foreign Terrorist Organization)")
    expect(timeline).to_contain_text("SDGT (Specially Designated Global Terrorist)")
    expect(timeline).to_contain_text("US Department of State")
    expect(page.locator("#names")).to_contain_text("CARTEL OF THE SUNS")
    j.shot("03-entity")

    # a UN entry with relations: the graph and its accessible list, clicked through
    page.goto(f"{base}/ui/entities/un_sc:QDi.430")
    expect(page.locator("svg.graph")).to_be_visible()
    page.locator(".graph-wrap").screenshot(path=str(ARTIFACTS / "console-04-graph.png"))
    page.locator("ul.relations").get_by_role("link", name="AL-QAIDA IN IRAQ").click()
    expect(page).to_have_url(f"{base}/ui/entities/un_sc:QDe.115")
    expect(page.locator("#relations")).to_contain_text("EMRAAN ALI")
    j.shot("04-entity-relations")

    page.goto(f"{base}/ui/lists")
    expect(page.locator("table").first).to_contain_text("us_ofac_sdn_2026")
    j.shot("05-lists")
    # the newest UN update: what it added, removed and changed, each linking to the entity
    page.locator("a[aria-label^='Changes of un_sc']").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Changes in un_sc")
    expect(page.locator("#removed-title + ul li")).not_to_have_count(0)
    j.shot("06-changes")
    page.locator("#changed-title + ul a").first.click()
    expect(page.locator("ol.timeline")).to_contain_text("Entry changed in the list")

    # the alerts queue, filtered to the book and sorted by score
    page.goto(f"{base}/ui/alerts")
    page.get_by_label("Book", exact=True).select_option("retail")
    page.get_by_label("Sort", exact=True).select_option("-score")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{base}/ui/alerts?status=backlog&book=retail&changed=&sort=-score")
    row = page.locator("table.queue tbody tr", has_text="c-1001")
    expect(row).to_contain_text("CARTEL DE LOS SOLES")
    j.shot("07-alerts")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("c-1001")
    expect(page.locator("table.compare")).to_contain_text("Cartel de los Soles S.A.")
    expect(page.locator("table.compare")).to_contain_text("CARTEL DE LOS SOLES (primary)")
    j.shot("08-alert")

    # decide with the keyboard only: Tab from the top to the decision, Space, reason, Enter
    alert_url = page.url
    page.goto(alert_url)
    j.tab_until("#decision-form input[value=false_positive]")
    page.keyboard.press("Space")
    j.tab_until("#reason", limit=5)
    reason = "Registered solar-panel installer in Valencia; no link to the cartel"
    page.keyboard.type(reason)
    j.tab_until("#decision-form button[type=submit]", limit=3)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Decision recorded")
    expect(page.locator(".facts .status").first).to_have_text("false positive")
    history = page.locator("#history-title + .table-wrap table")
    expect(history).to_contain_text(reason)
    expect(history).to_contain_text("key:alex-analyst")
    j.shot("09-alert-decided")

    # an analyst has no audit page; log out and in as the administrator
    assert page.goto(f"{base}/ui/audit").status == 403
    j.forget_refusals()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{base}/ui/login?out=1")
    page.get_by_label("API key").fill(server["keys"]["admin"])
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Audit").click()
    page.get_by_label("Action", exact=True).select_option("alert_decision")
    page.get_by_role("button", name="Filter").click()
    record = page.locator("table.audit tbody tr").first
    expect(record).to_contain_text("key:alex-analyst")
    expect(record).to_contain_text("false_positive")
    expect(record).to_contain_text(reason)
    page.get_by_role("button", name="Verify the audit chain").click()
    expect(page.locator("#verify-result")).to_contain_text("Intact")
    j.shot("10-audit")

    # the API documentation renders offline (local Swagger UI assets)
    page.goto(f"{base}/docs")
    expect(page.locator(".swagger-ui .title").first).to_contain_text("tamiz")
    j.shot("11-docs", full_page=False)
    context.close()


def test_console_keeps_a_session_across_workers(server, browser):
    """Two workers, one secret file: a session made by one worker is honoured by the other.
    Each request below opens its own connection, which the kernel spreads over the workers
    (a browser would keep reusing one connection)."""
    context = browser.new_context()
    page = context.new_page()
    base = server["base"]
    page.goto(f"{base}/ui/login")
    page.get_by_label("API key").fill(server["keys"]["reader"])
    page.get_by_label("API key").press("Enter")
    page.wait_for_url(f"{base}/ui/search")
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    for _ in range(16):
        response = httpx.get(f"{base}/ui/lists", cookies=cookies, timeout=10)
        assert response.status_code == 200, response.headers.get("location")
        assert 'href="/ui/audit"' not in response.text  # a reader has no audit page
    context.close()
