"""``POST /scan`` (free text) and ``POST /payment`` (payment messages).

Mount with ``app.include_router(routes_text.router(service, auth))`` like the other routers.
Both endpoints screen against one loaded index per request, name the snapshots they used and
record every scan and every payment decision in the audit trail before answering.
"""

# No ``from __future__ import annotations``: FastAPI reads the ``Annotated`` dependencies
# below at definition time, and they refer to variables local to ``router()``.
import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from tamiz.api.auth import Authenticator, Principal
from tamiz.api.errors import ApiError
from tamiz.api.jsonio import JSONResponse, OrjsonRoute
from tamiz.api.screening import dataset_scope, effective_threshold
from tamiz.api.service import Service
from tamiz.match import ALGORITHM
from tamiz.messages import MessageError, PaymentMessage, read_messages
from tamiz.screen.payments import PaymentScreener, audit_entry, error_decision
from tamiz.screen.text import TextScanner, scan_audit_entry
from tamiz.store.keys import Role

MAX_SCAN_CHARS = 1_000_000
MAX_MESSAGES = 500


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class ScanRequest(_Model):
    text: str = Field(
        ...,
        max_length=MAX_SCAN_CHARS,
        description="The text to scan (news article, remittance information, any prose).",
        examples=["Interior Minister Diosdado Cabello met Vladimir Padrino López."],
    )
    threshold: float | None = Field(None, ge=0.0, le=1.0, allow_inf_nan=False)
    datasets: list[str] | None = Field(None, description="Only these datasets.")


class PaymentFile(_Model):
    name: str = Field("message", max_length=300, description="A label, e.g. the file name.")
    content: str = Field(..., description="ISO 20022 XML or SWIFT FIN text.")
    encoding: str = Field("text", pattern="^(text|base64)$")


class PaymentRequest(_Model):
    messages: list[PaymentFile] = Field(..., min_length=1, max_length=MAX_MESSAGES)
    threshold: float | None = Field(None, ge=0.0, le=1.0, allow_inf_nan=False)
    datasets: list[str] | None = Field(None, description="Only these datasets.")


def _files(body: PaymentRequest) -> list[tuple[str, bytes]]:
    out = []
    for item in body.messages:
        if item.encoding == "base64":
            try:
                data = base64.b64decode(item.content, validate=True)
            except (binascii.Error, ValueError):
                raise ApiError(400, f"{item.name}: content is not valid base64") from None
        else:
            data = item.content.encode("utf-8")
        out.append((item.name, data))
    return out


def router(service: Service, auth: Authenticator) -> APIRouter:
    api = APIRouter(route_class=OrjsonRoute, tags=["text and payments"])
    reader = Depends(auth.require(Role.READER))

    @api.post(
        "/scan",
        summary="Find listed parties mentioned in a text",
        description="Every mention of a listed party in the text, with its character span "
        "(`start`/`end` index the text as sent, in Unicode code points), the entity, score, "
        "programmes and explanation. Later surname-only mentions of a person named in full "
        "earlier are reported as coreferences (`via`). One audit record per scan.",
    )
    async def scan(body: ScanRequest, who: Annotated[Principal, reader]) -> JSONResponse:
        threshold = effective_threshold(body.threshold)
        loaded = service.loaded()
        scope = dataset_scope(loaded, None, body.datasets or ())
        snapshots = {ds: loaded.snapshot_ids[ds] for ds in scope}
        filtered = scope if body.datasets else None
        scanner = TextScanner(loaded.index, threshold=threshold, datasets=filtered)
        mentions = await run_in_threadpool(scanner.scan, body.text)
        entry = scan_audit_entry(
            who.actor, body.text, mentions, snapshots=snapshots, threshold=threshold
        )
        recorded = await service.receipt(await run_in_threadpool(service.submit, entry))
        return JSONResponse(
            {
                "mentions": [m.to_dict() for m in mentions],
                "threshold": threshold,
                "algorithm": ALGORITHM,
                "snapshots": snapshots,
                "audit": recorded,
            }
        )

    @api.post(
        "/payment",
        summary="Screen payment messages: pass or hold",
        description="ISO 20022 pacs.008, pacs.009, pain.001 (XML) and SWIFT MT103 / MT202 "
        "(FIN), as a JSON list of `{name, content}` (or one message as the raw request body, "
        "any content type but JSON). One decision per message, `pass` or `hold`, with every "
        "hit (field, value, listed entity or sanctioned jurisdiction, score, reason); a "
        "message that cannot be read gets `decision: error` and the others are still "
        "decided. Every decision is one audit record.",
    )
    async def payment(request: Request, who: Annotated[Principal, reader]) -> JSONResponse:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("application/json"):
            try:
                body = PaymentRequest.model_validate(await request.json())
            except ValueError as exc:
                raise ApiError(422, f"invalid payment request: {exc}") from None
            files, threshold_in, datasets = _files(body), body.threshold, body.datasets
        else:
            files, threshold_in, datasets = [("body", await request.body())], None, None
        threshold = effective_threshold(threshold_in)
        loaded = service.loaded()
        scope = dataset_scope(loaded, None, datasets or ())
        snapshots = {ds: loaded.snapshot_ids[ds] for ds in scope}
        screener = PaymentScreener(
            loaded.index,
            threshold=threshold,
            datasets=scope if datasets else None,
            snapshots=snapshots,
        )

        def work() -> list[tuple[Any, PaymentMessage | None]]:
            out: list[tuple[Any, PaymentMessage | None]] = []
            for name, data in files:
                for item in read_messages(data, name):
                    if isinstance(item, MessageError):
                        out.append((error_decision(name, item), None))
                    else:
                        out.append((screener.screen(item), item))
            return out

        decided = await run_in_threadpool(work)
        futures = []
        for decision, message in decided:
            entry = audit_entry(who.actor, decision, message)
            futures.append(await run_in_threadpool(service.submit, entry))
        receipts = [await service.receipt(f) for f in futures]
        docs = []
        for (decision, _), receipt in zip(decided, receipts, strict=True):
            doc = decision.to_dict()
            doc["audit"] = receipt
            docs.append(doc)
        return JSONResponse(
            {
                "decisions": docs,
                "summary": {
                    "messages": len(docs),
                    "hold": sum(1 for d in docs if d["decision"] == "hold"),
                    "pass": sum(1 for d in docs if d["decision"] == "pass"),
                    "errors": sum(1 for d in docs if d["decision"] == "error"),
                },
                "threshold": threshold,
                "algorithm": ALGORITHM,
                "snapshots": snapshots,
            }
        )

    return api
