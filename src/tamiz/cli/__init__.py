"""Command-line interface: ``tamiz COMMAND``. A thin shell over the library layers."""

from __future__ import annotations

import os
import sys

from tamiz.cli import admin as _admin  # noqa: F401  (registers commands)
from tamiz.cli import lists as _lists  # noqa: F401
from tamiz.cli import monitoring as _monitoring  # noqa: F401
from tamiz.cli import screening as _screening  # noqa: F401
from tamiz.cli import service as _service  # noqa: F401
from tamiz.cli import text as _text  # noqa: F401
from tamiz.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: unexpected failures become one line (TAMIZ_DEBUG=1 for more)."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("TAMIZ_DEBUG"):
            raise
        sys.stderr.write(f"error: {type(exc).__name__}: {exc} (set TAMIZ_DEBUG=1 for details)\n")
        sys.exit(1)
