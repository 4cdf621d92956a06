from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()
LISTS = SHARED_DATA / "lists"


@pytest.fixture(scope="session")
def lists_dir() -> Path:
    if not LISTS.is_dir():
        pytest.skip(f"shared list files not found at {LISTS}")
    return LISTS


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA
