"""One error body for every failure: ``{"error": {"code": ..., "message": ...}}``.

Validation errors add ``"details"`` (FastAPI's list of problems, each with ``loc`` and
``msg``). 404/405 from routing, 413 from the body limit, 429 from the rate limiter and any
unexpected exception (500, without internals) all use the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("tamiz.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(Exception):
    """An error answered with ``status`` and the standard body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.headers = dict(headers or {})


def error_bytes(
    status: int, message: str, code: str | None = None, details: list[Any] | None = None
) -> bytes:
    body: dict[str, Any] = {"code": code or _CODES.get(status, "error"), "message": message}
    if details is not None:
        body["details"] = details
    return orjson.dumps({"error": body}, default=str)


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    details: list[Any] | None = None,
) -> Response:
    return Response(
        error_bytes(status, message, code, details),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/json",
    )


def _location(loc: Any) -> str:
    parts = [str(p) for p in loc or ()]
    if parts and parts[0] in ("body", "query", "path", "header"):
        where = parts[0]
        rest = ".".join(parts[1:])
        return f"{where} {rest}" if rest else where
    return ".".join(parts)


def _plain(error: Mapping[str, Any]) -> dict[str, Any]:
    # ``input`` can be anything the client sent (bytes, huge strings): keep the report small
    return {"loc": [str(p) for p in error.get("loc", ())], "msg": str(error.get("msg", ""))}


async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error") or error.get("msg")
            return error_response(
                400, f"the request body is not valid JSON: {reason}", code="malformed_json"
            )
    first = errors[0] if errors else {}
    where = _location(first.get("loc"))
    message = f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg"))
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return error_response(422, message, details=[_plain(e) for e in errors[:20]])


async def _api_error(_request: Request, exc: ApiError) -> Response:
    return error_response(exc.status, exc.message, code=exc.code, headers=exc.headers)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 404:
        message = "no such endpoint" if exc.detail == "Not Found" else str(exc.detail)
    elif exc.status_code == 405:
        message = "method not allowed on this endpoint"
    else:
        message = str(exc.detail)
    return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal error; the server log has the details")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


# Documented on every operation (OpenAPI).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Bad request (malformed JSON, invalid value)"),
        (401, "Missing or invalid API key"),
        (403, "The key's role may not do this"),
        (404, "Not found"),
        (413, "Request body too large"),
        (422, "Request does not match the schema"),
        (429, "Rate limit exceeded (see Retry-After)"),
        (503, "Lists not loaded yet, or the audit trail cannot record"),
    )
}
