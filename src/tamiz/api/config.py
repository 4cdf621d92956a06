"""Service settings: authentication, limits, audit behaviour, index refresh.

Everything has a default and a ``TAMIZ_API_*`` environment variable, so ``tamiz serve`` and
its uvicorn worker processes (which receive settings only through the environment) agree.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Any


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={value!r}: use true or false")


def _env_number(name: str, default: float, cast: type = float) -> Any:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = cast(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None
    if number < 0:
        raise ValueError(f"{name}={value!r} must not be negative")
    return number


@dataclass(frozen=True, slots=True)
class ApiConfig:
    # Authentication. Off only for local use: ``tamiz serve`` refuses it on a non-loopback
    # address. Without it every caller acts as an administrator named ``anonymous``.
    auth: bool = True
    # Per-key token bucket: sustained requests per second and burst size, per process (a
    # deployment with W workers and R replicas allows up to W x R times this). 0 = no limit.
    rate_limit: float = 50.0
    rate_burst: int = 100
    # Largest request body accepted, bytes (413 above it).
    max_body_bytes: int = 4 * 1024 * 1024
    max_match_queries: int = 100
    max_screen_records: int = 1000
    # Audit: record every screening; ``audit_wait`` answers only after the record is
    # committed and returns its sequence number and hash (off: fire-and-forget, no reference).
    audit: bool = True
    audit_wait: bool = True
    audit_timeout: float = 10.0
    # Seconds the audit writer waits for more records before committing a batch (fewer
    # commits for a little latency). 0: records that arrive while a batch commits make up
    # the next one, which already batches under load (see benchmarks/README.md).
    audit_linger: float = 0.0
    # Seconds between checks for a newly activated snapshot (an update by another worker,
    # replica or a cron job); 0 disables the check (an update through this process still
    # swaps the index at once).
    refresh_interval: float = 2.0
    # Build a new index in a child process (keeps the GIL free for requests while it builds).
    build_in_subprocess: bool = True
    # sys.setswitchinterval for the serving process, seconds (0: Python's default, 5 ms).
    switch_interval: float = 0.001

    @classmethod
    def from_env(cls, **overrides: Any) -> ApiConfig:
        d = cls()  # the defaults (slots: class attributes are descriptors, not values)
        values: dict[str, Any] = {
            "auth": _env_bool("TAMIZ_API_AUTH", d.auth),
            "rate_limit": _env_number("TAMIZ_API_RATE_LIMIT", d.rate_limit),
            "rate_burst": _env_number("TAMIZ_API_RATE_BURST", d.rate_burst, int),
            "max_body_bytes": _env_number("TAMIZ_API_MAX_BODY_BYTES", d.max_body_bytes, int),
            "audit": _env_bool("TAMIZ_API_AUDIT", d.audit),
            "audit_wait": _env_bool("TAMIZ_API_AUDIT_WAIT", d.audit_wait),
            "audit_linger": _env_number("TAMIZ_API_AUDIT_LINGER", d.audit_linger),
            "refresh_interval": _env_number("TAMIZ_API_REFRESH_INTERVAL", d.refresh_interval),
            "switch_interval": _env_number("TAMIZ_API_SWITCH_INTERVAL", d.switch_interval),
            "build_in_subprocess": _env_bool(
                "TAMIZ_API_BUILD_IN_SUBPROCESS", d.build_in_subprocess
            ),
        }
        values.update(overrides)
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The environment that makes ``from_env`` return this configuration."""
        names = {
            "auth": "TAMIZ_API_AUTH",
            "rate_limit": "TAMIZ_API_RATE_LIMIT",
            "rate_burst": "TAMIZ_API_RATE_BURST",
            "max_body_bytes": "TAMIZ_API_MAX_BODY_BYTES",
            "audit": "TAMIZ_API_AUDIT",
            "audit_wait": "TAMIZ_API_AUDIT_WAIT",
            "audit_linger": "TAMIZ_API_AUDIT_LINGER",
            "refresh_interval": "TAMIZ_API_REFRESH_INTERVAL",
            "build_in_subprocess": "TAMIZ_API_BUILD_IN_SUBPROCESS",
            "switch_interval": "TAMIZ_API_SWITCH_INTERVAL",
        }
        out = {}
        for f in dataclasses.fields(self):
            if f.name in names:
                value = getattr(self, f.name)
                out[names[f.name]] = str(value).lower() if isinstance(value, bool) else str(value)
        return out
