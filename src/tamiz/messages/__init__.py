"""Payment messages: ISO 20022 (pacs.008, pacs.009, pain.001) and SWIFT MT (MT103, MT202)
read into a small model of parties, agents and free text. Parsing only: bytes in, objects
out, no I/O (see :mod:`tamiz.screen.payments` for screening them)."""

from __future__ import annotations

from tamiz.messages import iso20022, mt
from tamiz.messages.model import FreeText, MessageError, Party, PaymentMessage
from tamiz.sources.common import decode_text

MAX_MESSAGE_BYTES = 10 * 1024 * 1024


def read_messages(data: bytes, source: str) -> list[PaymentMessage | MessageError]:
    """Every message in ``data`` (one XML document, or one or more FIN messages), each
    parsed or replaced by the :class:`MessageError` that says why it could not be; a bad
    message never hides the good ones next to it in the same file."""
    if len(data) > MAX_MESSAGE_BYTES:
        return [MessageError(f"{source}: {len(data):,} bytes is too large for a payment message")]
    if not data.strip():
        return [MessageError(f"{source}: empty file, expected a payment message")]
    if iso20022.is_iso20022(data):
        try:
            return [iso20022.parse(data, source)]
        except MessageError as exc:
            return [exc]
    try:
        text = decode_text(data, source)
    except ValueError as exc:
        return [MessageError(f"{source}: {exc}")]
    if not mt.is_mt(text):
        return [
            MessageError(
                f"{source}: neither ISO 20022 XML nor a SWIFT FIN message (no '<' or '{{1:')"
            )
        ]
    parts = mt.split(text)
    out: list[PaymentMessage | MessageError] = []
    for i, part in enumerate(parts, 1):
        try:
            out.append(mt.parse_one(part, source, i if len(parts) > 1 else None))
        except MessageError as exc:
            out.append(exc)
    return out


def parse_message(data: bytes, source: str) -> PaymentMessage:
    """The single message in ``data``; raises :class:`MessageError` if it cannot be read
    or if the file holds more than one message."""
    results = read_messages(data, source)
    if len(results) != 1:
        raise MessageError(f"{source}: {len(results)} messages in one file; use read_messages")
    result = results[0]
    if isinstance(result, MessageError):
        raise result
    return result


__all__ = [
    "FreeText",
    "MessageError",
    "Party",
    "PaymentMessage",
    "parse_message",
    "read_messages",
]
