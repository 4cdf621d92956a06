"""Command-line interface: ``tamiz COMMAND``. A thin shell over the library layers."""

from tamiz.cli import admin as _admin  # noqa: F401  (registers commands)
from tamiz.cli import lists as _lists  # noqa: F401  (registers commands)
from tamiz.cli.app import app

__all__ = ["app"]
