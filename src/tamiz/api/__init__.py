"""The HTTP service: FastAPI over the screening layer, with API keys and the audit trail."""

from tamiz.api.app import create_app
from tamiz.api.config import ApiConfig

__all__ = ["ApiConfig", "create_app"]
