"""Property-based fuzzing of the HTTP API against its own OpenAPI schema (schemathesis).

Every operation gets generated valid and invalid requests with a real admin key: no answer
may be a 5xx, every answer must come back (the per-test timeout catches hangs), and every
error must carry the standard body. ``POST /admin/update`` is left out: valid requests to it
download lists from the publishers (there is no network here); its input checks are tested
in test_api.py.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tamiz.api import ApiConfig, create_app
from tamiz.store import Settings, Store
from tamiz.store.keys import create_key
from tamiz.store.updates import update_from_mirror, update_from_paths

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
EXAMPLES = 50  # per operation and mode: ~1,000 requests, under a minute
SKIPPED = {"/admin/update"}


@pytest.fixture(scope="module")
def fuzz_service(tmp_path_factory, lists_dir):
    from fastapi.testclient import TestClient

    home = tmp_path_factory.mktemp("fuzz")
    store = Store.open(Settings(home=home, database_url=f"sqlite:///{home / 'tamiz.db'}"))
    un = lists_dir / "un_sc" / "consolidated-2025-11-20.xml"
    assert update_from_paths(store, "un_sc", [un]).status == "activated"
    [sdn] = update_from_mirror(store, lists_dir, ["us_ofac_sdn_2026"])
    assert sdn.status == "activated"
    _, key = create_key(store, "fuzz", "admin")
    app = create_app(store, config=ApiConfig(rate_limit=0, max_body_bytes=256 * 1024))
    with TestClient(app) as client:  # runs the lifespan: index loaded, audit writer up
        deadline = time.monotonic() + 60
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield app, key
    store.close()


def error_body_check(response) -> None:
    """Every 4xx/5xx answers ``{"error": {"code", "message"}}``."""
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert body["error"]["code"] and body["error"]["message"], body


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors(fuzz_service, mode):
    app, key = fuzz_service
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    fuzzed = [op for op in operations if op.path not in SKIPPED]
    assert len(fuzzed) >= 10, [op.label for op in operations]
    for operation in fuzzed:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.as_curl_command(), response.text[:300])
            error_body_check(response)

        try:
            check()
        except Unsatisfiable:
            # nothing to make invalid (e.g. /healthz takes no input)
            assert mode is GenerationMode.NEGATIVE, operation.label
