"""SWIFT FIN MT103 (single customer credit transfer) and MT202 / MT202 COV (general
financial institution transfer).

A FIN message is a sequence of blocks ``{1:...}{2:...}{3:{...}}{4:<CRLF>:20:...<CRLF>-}{5:...}``;
block 1 carries the sender's logical terminal (BIC8 + terminal letter + branch), block 2 the
direction, message type and the receiver, block 3 optional user headers (``{119:COV}`` marks a
cover payment), block 4 the fields ``:TAG:value`` with continuation lines. A file may hold one
message or several back to back; a text of fields alone (block 4 only) is read too.

Party fields and their options, as published in the MT field specifications:
``50A/F/K`` ordering customer, ``59``/``59A``/``59F`` beneficiary customer, ``51A`` sending
institution, ``52A/D`` ordering institution, ``53A/B/D`` sender's correspondent, ``54A/B/D``
receiver's correspondent, ``55A/B/D`` third reimbursement institution, ``56A/C/D``
intermediary, ``57A/B/C/D`` account with institution, ``58A/D`` beneficiary institution.
Option A is ``[/party identifier]`` + BIC, B ``[/party identifier]`` + location, C
``/account``, D and K ``[/account]`` + name and address, F ``/account`` or
``code/country/identifier`` + numbered lines (``1/`` name, ``2/`` address, ``3/`` country and
town, ``4/`` birth date, ``5/`` place of birth, ``6/``-``8/`` identifiers).
"""

from __future__ import annotations

import re

from tamiz.messages.model import FreeText, MessageError, Party, PaymentMessage
from tamiz.sources.common import clean

SUPPORTED = {"103": "MT103", "202": "MT202"}
PARTY_FIELDS = {
    "50": ("ordering_customer", False),
    "59": ("beneficiary_customer", False),
    "51": ("sending_institution", True),
    "52": ("ordering_institution", True),
    "53": ("senders_correspondent", True),
    "54": ("receivers_correspondent", True),
    "55": ("third_reimbursement_institution", True),
    "56": ("intermediary_institution", True),
    "57": ("account_with_institution", True),
    "58": ("beneficiary_institution", True),
}
TEXT_FIELDS = {"70", "72", "77B", "77T"}
_FIELD = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_BLOCK1 = re.compile(r"\{1:[FAL]\d{2}([A-Z0-9]{12})")
_BLOCK2_IN = re.compile(r"\{2:I(\d{3})([A-Z0-9]{12})")
_BLOCK2_OUT = re.compile(r"\{2:O(\d{3})\d{4}\d{6}([A-Z0-9]{12})")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
_ACCOUNT = re.compile(r"^/(?:[CD]/)?/?(.+)$")
_AMOUNT = re.compile(r"^(?:(\d{6}))?([A-Z]{3})([\d,]+)$")
# 50F party identifier codes that identify a natural person.
_PERSON_CODES = {"CCPT", "DRLC", "NIDN", "SOSE"}


def is_mt(text: str) -> bool:
    head = text.lstrip()
    return head.startswith("{1:") or head.startswith(":20:") or "{4:" in head[:400]


def lt_to_bic(lt: str) -> str:
    """Logical terminal address (BIC8 + terminal letter + branch) -> BIC11."""
    return lt[:8] + lt[9:12]


def split(text: str) -> list[str]:
    """The messages in a file: each starts with ``{1:`` (or the file is one block 4)."""
    starts = [m.start() for m in re.finditer(r"\{1:", text)]
    if not starts:
        return [text]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def _block4(text: str, label: str) -> str:
    at = text.find("{4:")
    if at < 0:
        if text.lstrip().startswith(":20:"):
            body = text.strip()
            if body.endswith("-}"):
                body = body[:-2]
            elif body.endswith("-"):
                body = body[:-1]
            return body
        raise MessageError(f"{label}: no text block {{4:...}} (not a FIN message?)")
    body = text[at + 3 :]
    end = re.search(r"(?:^|\n)-\}", body)
    if end is None:
        raise MessageError(f"{label}: truncated: text block 4 does not end with '-}}'")
    return body[: end.start()]


def _fields(block: str, label: str) -> list[tuple[str, list[str]]]:
    fields: list[tuple[str, list[str]]] = []
    for raw in block.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if not line and not fields:
            continue
        m = _FIELD.match(line)
        if m:
            fields.append((m.group(1), [m.group(2)] if m.group(2) else []))
        elif fields:
            if line:
                fields[-1][1].append(line)
        else:
            raise MessageError(f"{label}: text block starts with {line[:30]!r}, not a :TAG: field")
    return fields


def _account(line: str) -> str | None:
    m = _ACCOUNT.match(line)
    return clean(m.group(1)) if m else None


def _party(tag: str, lines: list[str], path: str, label: str) -> Party:
    number, option = tag[:2], tag[2:]
    role, agent = PARTY_FIELDS[number]
    lines = [clean(x) or "" for x in lines]
    lines = [x for x in lines if x]
    if not lines:
        raise MessageError(f"{label}: field :{tag}: is empty")
    account = None
    ids: list[str] = []
    name = town = country = bic = birth = None
    address: list[str] = []
    schema: str | None = "Organization" if agent else None
    rest = lines
    if option == "F":
        first, rest = lines[0], lines[1:]
        if first.startswith("/"):
            account = _account(first)
        else:
            code, _, ident = first.partition("/")
            ids.append(ident or first)
            if code in _PERSON_CODES:
                schema = "Person"
        for line in rest:
            num, _, value = line.partition("/")
            if num == "1":
                name = f"{name} {value}" if name else value
            elif num == "2":
                address.append(value)
            elif num == "3":
                cc, _, place = value.partition("/")
                country, town = cc or None, place or None
            elif num == "4":
                birth = value
                schema = "Person"
            elif num == "5":
                address.append(value)
            elif num in ("6", "7", "8"):
                ids.append(value)
            else:
                address.append(line)
        if name is None:
            raise MessageError(f"{label}: field :{tag}: (option F) has no name line '1/'")
    else:
        if rest[0].startswith("/"):
            account = _account(rest[0])
            rest = rest[1:]
        if option == "A":
            if not rest or not _BIC.match(rest[0].replace(" ", "")):
                raise MessageError(
                    f"{label}: field :{tag}: (option A) needs a BIC, found {rest[:1]!r}"
                )
            bic = rest[0].replace(" ", "")
        elif option == "C":
            pass
        elif option == "B":
            address = rest
        elif rest:  # D, K and the unlettered option: name and address
            name, address = rest[0], rest[1:]
    return Party(
        role=role,
        path=path,
        agent=agent,
        name=name,
        address_lines=tuple(address),
        town=town,
        country=country,
        bic=bic,
        account=account,
        other_ids=tuple(ids),
        schema=schema,
        birth_date=_iso_date(birth) if birth else None,
        paths={},
    )


def _iso_date(value: str) -> str | None:
    digits = value.strip()
    if re.fullmatch(r"\d{8}", digits):
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return None


def parse_one(text: str, source: str, number: int | None = None) -> PaymentMessage:
    label = source if number is None else f"{source} message {number}"
    msg_type = None
    parties: list[Party] = []
    b1 = _BLOCK1.search(text)
    b2 = _BLOCK2_IN.search(text) or _BLOCK2_OUT.search(text)
    if text.lstrip().startswith("{") and not b2:
        raise MessageError(f"{label}: application header block {{2:...}} missing or malformed")
    if b2:
        mt = b2.group(1)
        if mt not in SUPPORTED:
            raise MessageError(
                f"{label}: MT{mt} is not a payment message tamiz reads (MT103, MT202)"
            )
        msg_type = SUPPORTED[mt]
        if mt == "202" and re.search(r"\{119:COV\}", text):
            msg_type = "MT202COV"
        output = text[b2.start() + 3] == "O"
        if b1:
            parties.append(
                Party(
                    "receiver" if output else "sender",
                    "{1:}",
                    agent=True,
                    bic=lt_to_bic(b1.group(1)),
                    schema="Organization",
                )
            )
        parties.append(
            Party(
                "sender" if output else "receiver",
                "{2:}",
                agent=True,
                bic=lt_to_bic(b2.group(2)),
                schema="Organization",
            )
        )
    fields = _fields(_block4(text, label), label)
    if not fields:
        raise MessageError(f"{label}: text block 4 has no fields")
    tags = [t for t, _ in fields]
    if "20" not in tags:
        raise MessageError(f"{label}: no transaction reference (field :20:)")
    if msg_type is None:  # block 4 alone: tell the type by its fields
        msg_type = "MT103" if any(t.startswith(("50", "59")) for t in tags) else "MT202"
    seen: dict[str, int] = {}
    message_id = None
    texts: list[FreeText] = []
    amounts: list[tuple[str, str, str]] = []
    for tag, lines in fields:
        seen[tag] = seen.get(tag, 0) + 1
        path = f":{tag}:" if seen[tag] == 1 else f":{tag}:[{seen[tag]}]"
        value = " ".join(x.strip() for x in lines if x.strip())
        if tag == "20":
            message_id = value or None
        elif tag[:2] in PARTY_FIELDS:
            parties.append(_party(tag, lines, path, label))
        elif tag in TEXT_FIELDS and value:
            texts.append(FreeText(path, value))
        elif tag in ("32A", "33B"):
            m = _AMOUNT.match(value.replace(" ", ""))
            if m is None:
                raise MessageError(f"{label}: field :{tag}: {value!r} is not [date]currency amount")
            amounts.append((path, m.group(2), m.group(3).replace(",", ".")))
    if msg_type == "MT103" and not any(t.startswith("59") for t in tags):
        raise MessageError(f"{label}: MT103 without a beneficiary customer (field :59a:)")
    if msg_type.startswith("MT202") and not any(t.startswith("58") for t in tags):
        raise MessageError(f"{label}: {msg_type} without a beneficiary institution (:58a:)")
    return PaymentMessage(
        source=source,
        type=msg_type,
        message_id=message_id,
        parties=tuple(parties),
        texts=tuple(texts),
        amounts=tuple(amounts),
    )
