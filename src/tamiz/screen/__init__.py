"""Use cases built on the lists and the matcher: screening names, files, text, payments."""

from tamiz.screen.records import RecordColumns, query_from_properties, query_from_row
from tamiz.screen.screener import (
    LoadedIndex,
    NoListsLoaded,
    Screener,
    ScreenResponse,
    UnknownDataset,
)

__all__ = [
    "LoadedIndex",
    "NoListsLoaded",
    "RecordColumns",
    "ScreenResponse",
    "Screener",
    "UnknownDataset",
    "query_from_properties",
    "query_from_row",
]
