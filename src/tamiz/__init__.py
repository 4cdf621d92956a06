"""tamiz: screen parties, payments and text against sanctions and designation lists.

The names most callers need, importable from the top (loaded on first use, so that
``import tamiz.sources`` stays light)::

    from tamiz import Screener, Store, Query
    screener = Screener(Store.open())
    response = screener.screen(Query(names=("Nicolas Maduro",), birth_dates=("1962-11-23",)))
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tamiz.match import DEFAULT_THRESHOLD, MatchIndex, MatchResult, Query, compare
    from tamiz.model import Entity
    from tamiz.screen import Screener
    from tamiz.store import Settings, Store

try:
    __version__ = version("tamiz")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

_EXPORTS = {
    "DEFAULT_THRESHOLD": "tamiz.match",
    "MatchIndex": "tamiz.match",
    "MatchResult": "tamiz.match",
    "Query": "tamiz.match",
    "compare": "tamiz.match",
    "Entity": "tamiz.model",
    "Screener": "tamiz.screen",
    "Settings": "tamiz.store",
    "Store": "tamiz.store",
}
__all__ = [
    "DEFAULT_THRESHOLD",
    "Entity",
    "MatchIndex",
    "MatchResult",
    "Query",
    "Screener",
    "Settings",
    "Store",
    "__version__",
    "compare",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tamiz' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
