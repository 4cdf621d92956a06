"""Where tamiz keeps its state.

``TAMIZ_HOME`` (default ``~/.local/share/tamiz``) holds the SQLite database, the raw-file blob
store and compiled index caches. ``TAMIZ_DATABASE_URL`` (any SQLAlchemy URL, e.g.
``postgresql+psycopg://host/db``) moves the database elsewhere; blobs stay under the home.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    home: Path
    database_url: str

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None) -> Settings:
        base = Path(
            home or os.environ.get("TAMIZ_HOME") or Path.home() / ".local" / "share" / "tamiz"
        ).expanduser()
        url = os.environ.get("TAMIZ_DATABASE_URL") or f"sqlite:///{base / 'tamiz.db'}"
        return cls(home=base, database_url=url)
