"""ISO 20022 credit transfers: pacs.008 (customer credit transfer between banks), pacs.009
(financial institution credit transfer, including the cover variant with the underlying
customer transfer) and pain.001 (customer credit transfer initiation).

Element names and nesting follow the published message definitions; any version of the
``urn:iso:std:iso:20022:tech:xsd:<message>`` namespaces is read (versions differ in a few
element names, e.g. ``BIC`` -> ``BICFI``, ``BICOrBEI`` -> ``AnyBIC``, which are all accepted).
A business application header envelope around the ``Document`` is fine.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

from lxml import etree

from tamiz.messages.model import FreeText, MessageError, Party, PaymentMessage
from tamiz.model import ParseError
from tamiz.sources.common import clean, parse_xml

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:((pacs\.008|pacs\.009|pain\.001)[.\d]*)$")
BUSINESS_ROOTS = {
    "FIToFICstmrCdtTrf": "pacs.008",
    "FICdtTrf": "pacs.009",
    "CstmrCdtTrfInitn": "pain.001",
}
PARTY_ROLES = {
    "Dbtr": "debtor",
    "Cdtr": "creditor",
    "UltmtDbtr": "ultimate_debtor",
    "UltmtCdtr": "ultimate_creditor",
    "InitgPty": "initiating_party",
    "Invcr": "invoicer",
    "Invcee": "invoicee",
}
AGENT_ROLES = {
    "DbtrAgt": "debtor_agent",
    "CdtrAgt": "creditor_agent",
    "IntrmyAgt1": "intermediary_agent_1",
    "IntrmyAgt2": "intermediary_agent_2",
    "IntrmyAgt3": "intermediary_agent_3",
    "InstgAgt": "instructing_agent",
    "InstdAgt": "instructed_agent",
    "PrvsInstgAgt1": "previous_instructing_agent_1",
    "PrvsInstgAgt2": "previous_instructing_agent_2",
    "PrvsInstgAgt3": "previous_instructing_agent_3",
    "InstgRmbrsmntAgt": "instructing_reimbursement_agent",
    "InstdRmbrsmntAgt": "instructed_reimbursement_agent",
    "ThrdRmbrsmntAgt": "third_reimbursement_agent",
    "FwdgAgt": "forwarding_agent",
    "Agt": "charges_agent",
}
TEXT_TAGS = frozenset(("Ustrd", "AddtlRmtInf", "InstrInf", "AddtlInf", "Inf"))
AMOUNT_TAGS = frozenset(("IntrBkSttlmAmt", "InstdAmt", "EqvtAmt"))


def is_iso20022(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _walk(el: etree._Element, path: str) -> Iterator[tuple[etree._Element, str]]:
    """Every element under ``el`` with its XPath-like path (1-based index on repeats)."""
    counts: dict[str, int] = {}
    children = [c for c in el if isinstance(c.tag, str)]
    for c in children:
        counts[_local(c.tag)] = counts.get(_local(c.tag), 0) + 1
    seen: dict[str, int] = {}
    for c in children:
        name = _local(c.tag)
        seen[name] = seen.get(name, 0) + 1
        step = f"{name}[{seen[name]}]" if counts[name] > 1 else name
        child_path = f"{path}/{step}"
        yield c, child_path
        yield from _walk(c, child_path)


def _child(el: etree._Element, *names: str) -> etree._Element | None:
    for c in el:
        if _local(c.tag) in names:
            return c
    return None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return clean("".join(el.itertext()))


class _PathIndex:
    """Paths of the elements of one document, computed once."""

    def __init__(self, root: etree._Element, root_path: str) -> None:
        self.paths: dict[etree._Element, str] = {root: root_path}
        for el, path in _walk(root, root_path):
            self.paths[el] = path

    def __getitem__(self, el: etree._Element) -> str:
        return self.paths[el]


def _address(
    adr: etree._Element | None, paths: _PathIndex, out: dict, where: dict[str, str]
) -> None:
    if adr is None:
        return
    lines: list[str] = []
    for c in adr:
        tag = _local(c.tag)
        value = _text(c)
        if not value:
            continue
        if tag == "TwnNm":
            out["town"] = value
            where["town"] = paths[c]
        elif tag == "Ctry":
            out["country"] = value
            where["country"] = paths[c]
        elif tag in ("AdrLine", "StrtNm", "TwnLctnNm", "DstrctNm", "CtrySubDvsn", "BldgNm"):
            where[f"address[{len(lines)}]"] = paths[c]
            lines.append(value)
    out["address_lines"] = tuple(lines)


def _party(el: etree._Element, role: str, paths: _PathIndex) -> Party:
    """A PartyIdentification (name, postal address, organisation/private identification)."""
    out: dict = {}
    where: dict[str, str] = {}
    ids: list[str] = []
    schema = None
    name = _child(el, "Nm")
    if name is not None:
        out["name"] = _text(name)
        where["name"] = paths[name]
    _address(_child(el, "PstlAdr"), paths, out, where)
    ident = _child(el, "Id")
    if ident is not None:
        org, prv = _child(ident, "OrgId"), _child(ident, "PrvtId")
        if org is not None:
            schema = "Organization"
            for c in org.iter():
                tag = _local(c.tag)
                if tag in ("AnyBIC", "BICOrBEI", "BIC") and _text(c):
                    out["bic"] = _text(c)
                    where["bic"] = paths[c]
                elif tag in ("LEI", "Id") and _text(c) and c is not org:
                    where[f"id[{len(ids)}]"] = paths[c]
                    ids.append(_text(c) or "")
        if prv is not None:
            schema = "Person" if org is None else None
            for c in prv.iter():
                tag = _local(c.tag)
                if tag == "Id" and _text(c):
                    where[f"id[{len(ids)}]"] = paths[c]
                    ids.append(_text(c) or "")
                elif tag == "BirthDt" and _text(c):
                    where["birth_date"] = paths[c]
                    out["birth_date"] = _text(c)
    residence = _child(el, "CtryOfRes")
    if residence is not None and _text(residence):
        where["residence"] = paths[residence]
        out["residence"] = _text(residence)
    return _make_party(role, paths[el], False, out, where, ids, schema)


def _agent(el: etree._Element, role: str, paths: _PathIndex) -> Party:
    """A BranchAndFinancialInstitutionIdentification (BIC, clearing id, LEI, name, address)."""
    out: dict = {}
    where: dict[str, str] = {}
    ids: list[str] = []
    fin = _child(el, "FinInstnId")
    if fin is not None:
        for c in fin:
            tag = _local(c.tag)
            if tag in ("BICFI", "BIC") and _text(c):
                out["bic"] = _text(c)
                where["bic"] = paths[c]
            elif tag == "Nm" and _text(c):
                out["name"] = _text(c)
                where["name"] = paths[c]
            elif tag == "PstlAdr":
                _address(c, paths, out, where)
            elif tag in ("ClrSysMmbId", "LEI", "Othr"):
                for d in c.iter():
                    if _local(d.tag) in ("MmbId", "LEI", "Id") and _text(d):
                        where[f"id[{len(ids)}]"] = paths[d]
                        ids.append(_text(d) or "")
    branch = _child(el, "BrnchId")
    if branch is not None:
        bname = _child(branch, "Nm")
        if bname is not None and _text(bname) and "name" not in out:
            out["name"] = _text(bname)
            where["name"] = paths[bname]
    return _make_party(role, paths[el], True, out, where, ids, "Organization")


def _make_party(
    role: str,
    path: str,
    agent: bool,
    out: dict,
    where: dict[str, str],
    ids: list[str],
    schema: str | None,
) -> Party:
    return Party(
        role=role,
        path=path,
        agent=agent,
        name=out.get("name"),
        address_lines=out.get("address_lines", ()),
        town=out.get("town"),
        country=out.get("country"),
        bic=out.get("bic"),
        other_ids=tuple(ids),
        schema=schema,
        paths=where,
        birth_date=out.get("birth_date"),
        residence=out.get("residence"),
    )


def _is_text(el: etree._Element, tag: str, parent: etree._Element | None) -> bool:
    """Narrative text: remittance information, instructions, a proprietary purpose."""
    if tag in TEXT_TAGS:
        return True
    return tag == "Prtry" and parent is not None and _local(parent.tag) == "Purp"


def _account(el: etree._Element, paths: _PathIndex) -> tuple[str | None, str | None, list]:
    """(account id, its path, [(proxy or other id, path)]) of a CashAccount."""
    account = path = None
    extra: list[tuple[str, str]] = []
    ident = _child(el, "Id")
    if ident is not None:
        iban = _child(ident, "IBAN")
        if iban is not None and _text(iban):
            account, path = _text(iban), paths[iban]
        else:
            for c in ident.iter():
                if _local(c.tag) == "Id" and c is not ident and _text(c):
                    account, path = _text(c), paths[c]
                    break
    proxy = _child(el, "Prxy")
    if proxy is not None:
        pid = _child(proxy, "Id")
        if pid is not None and _text(pid):
            extra.append((_text(pid), paths[pid]))
    return account, path, extra


def parse(data: bytes, source: str) -> PaymentMessage:
    """Read one ISO 20022 credit transfer message."""
    try:
        root = parse_xml(data, source)
    except ParseError as exc:
        raise MessageError(str(exc)) from None
    document = root if _local(root.tag) == "Document" else None
    if document is None:
        document = next((e for e in root.iter() if _local(e.tag) == "Document"), None)
    business = None
    scope = document if document is not None else root
    for el in scope.iter():
        if _local(el.tag) in BUSINESS_ROOTS:
            business = el
            break
    if business is None:
        raise MessageError(
            f"{source}: not a pacs.008, pacs.009 or pain.001 message "
            f"(root element {_local(root.tag)!r}, expected Document/FIToFICstmrCdtTrf, "
            "FICdtTrf or CstmrCdtTrfInitn)"
        )
    family = BUSINESS_ROOTS[_local(business.tag)]
    msg_type = family
    ns = _ns(business.tag) or (_ns(document.tag) if document is not None else "")
    if ns:
        m = NAMESPACE.match(ns)
        if m is None or m.group(2) != family:
            raise MessageError(
                f"{source}: namespace {ns!r} does not belong to a {family} message "
                f"({_local(business.tag)})"
            )
        msg_type = m.group(1)
    top = document if document is not None else business
    paths = _PathIndex(top, "/" + _local(top.tag))
    header = _child(business, "GrpHdr")
    if header is None:
        raise MessageError(f"{source}: {msg_type} without a group header (GrpHdr)")
    message_id = _text(_child(header, "MsgId"))
    if not message_id:
        raise MessageError(f"{source}: {msg_type} group header has no MsgId")
    if _child(business, "CdtTrfTxInf", "PmtInf") is None:
        raise MessageError(f"{source}: {msg_type} {message_id} has no transaction (truncated?)")

    parties: list[Party] = []
    texts: list[FreeText] = []
    amounts: list[tuple[str, str, str]] = []
    by_parent: dict[tuple[etree._Element, str], int] = {}
    for el in business.iter():
        tag = _local(el.tag)
        parent = el.getparent()
        under = any(_local(a.tag) == "UndrlygCstmrCdtTrf" for a in el.iterancestors())
        prefix = "underlying_" if under else ""
        if tag in PARTY_ROLES and parent is not None and _local(parent.tag) != "Id":
            if _child(el, "FinInstnId") is not None:  # pacs.009: the debtor is a bank
                party = _agent(el, prefix + PARTY_ROLES[tag], paths)
            elif _child(el, "Pty") is not None:  # some versions wrap the party in Pty
                party = _party(_child(el, "Pty"), prefix + PARTY_ROLES[tag], paths)
            else:
                party = _party(el, prefix + PARTY_ROLES[tag], paths)
            by_parent[(parent, tag)] = len(parties)
            parties.append(party)
        elif tag in AGENT_ROLES and (tag != "Agt" or _local(parent.tag) == "ChrgsInf"):
            by_parent[(parent, tag)] = len(parties)
            parties.append(_agent(el, prefix + AGENT_ROLES[tag], paths))
        elif _is_text(el, tag, parent) and _text(el):
            texts.append(FreeText(paths[el], _text(el) or ""))
        elif tag in AMOUNT_TAGS and _text(el):
            amounts.append((paths[el], el.get("Ccy") or "", _text(el) or ""))
    # Accounts belong to the party of the same role under the same parent (DbtrAcct -> Dbtr).
    for el in business.iter():
        tag = _local(el.tag)
        if not tag.endswith("Acct") or tag[:-4] not in PARTY_ROLES | AGENT_ROLES:
            continue
        account, apath, extra = _account(el, paths)
        key = (el.getparent(), tag[:-4])
        if key in by_parent:
            i = by_parent[key]
            p = parties[i]
            paths_of = dict(p.paths)
            ids = list(p.other_ids)
            if account:
                paths_of["account"] = apath or paths[el]
            for value, vpath in extra:
                paths_of[f"id[{len(ids)}]"] = vpath
                ids.append(value)
            parties[i] = dataclasses.replace(
                p, account=account or p.account, other_ids=tuple(ids), paths=paths_of
            )
        elif account:
            role = tag[:-4]
            parties.append(
                Party(
                    role=(PARTY_ROLES | AGENT_ROLES)[role] + "_account",
                    path=paths[el],
                    account=account,
                    paths={"account": apath or paths[el]},
                )
            )
    return PaymentMessage(
        source=source,
        type=msg_type,
        message_id=message_id,
        parties=tuple(parties),
        texts=tuple(texts),
        amounts=tuple(amounts),
    )
