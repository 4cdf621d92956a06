"""Screening payment messages: a decision per message, ``pass`` or ``hold``, with every hit.

Each element of a message is screened as what it is:

- **names** of parties and agents: name screening (:meth:`tamiz.match.MatchIndex.search`)
  with the schema the message gives (an ISO 20022 ``OrgId`` makes an Organization, a
  ``PrvtId`` or an MT ``4/`` birth date a Person, an agent is a bank; otherwise no schema),
  and the birth date when the message carries one;
- **BICs**: against the BICs on the lists, by institution (the first 8 characters): a list
  BIC8 covers every branch; a list BIC11 matches the same branch exactly, and another branch
  of that institution as the same institution;
- **accounts, IBANs and other identifiers** (LEI, proxy, wallet): exact normalised match with
  a list identifier; long alphanumeric words of free text (a wallet address in remittance
  information) too;
- **countries, regions and towns**: against comprehensively sanctioned jurisdictions
  (``data/jurisdictions.csv``): country fields by ISO code or name, subdivision and town
  fields by name, and address lines, names and free text for the names of those countries,
  regions and towns in several spellings and scripts;
- **free text** (remittance information, instructions, MT fields 70 and 72): with the free
  text scanner (:mod:`tamiz.screen.text`).

Any hit holds the message. The decision names the list snapshots it used.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
import weakref
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from tamiz.countries import country_code
from tamiz.index.compiled import CompiledIndex, normalize_id
from tamiz.match import ALGORITHM, DEFAULT_THRESHOLD, MatchIndex, MatchResult, Query, QueryError
from tamiz.messages import MessageError, Party, PaymentMessage
from tamiz.screen.text import TextScanner
from tamiz.store.audit import AuditEntry

PASS = "pass"
HOLD = "hold"
ERROR = "error"
_BIC = re.compile(r"^[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_LONG_WORD = re.compile(r"[A-Za-z0-9]{16,}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_NAME_RESULTS = 5


# -- sanctioned jurisdictions -------------------------------------------------------------


def fold(text: str) -> str:
    """Case, accents and punctuation removed, in any script (for place-name comparison)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(
        ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch)
    )
    return " ".join(kept.split())


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str  # CU, IR, KP, SY, UA-43 (Crimea), UA-40 (Sevastopol), UA-14, UA-09
    label: str
    kind: str  # code | country | region | town
    value: str


class JurisdictionTable:
    """Comprehensively sanctioned countries and regions, with spellings of their names and
    main towns (``data/jurisdictions.csv``)."""

    def __init__(self, rows: Iterable[Jurisdiction]) -> None:
        self.codes: dict[str, Jurisdiction] = {}
        self.names: dict[str, Jurisdiction] = {}
        for row in rows:
            if row.kind == "code":
                self.codes[row.value.upper()] = row
            else:
                self.names.setdefault(fold(row.value), row)
        alternatives = sorted(self.names, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<!\w)(" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)"
        )

    @classmethod
    @functools.cache
    def default(cls) -> JurisdictionTable:
        raw = resources.files("tamiz.data").joinpath("jurisdictions.csv").read_text("utf-8")
        lines = [ln for ln in raw.splitlines() if ln and not ln.startswith("#")]
        rows = [
            Jurisdiction(r["jurisdiction"], r["label"], r["kind"], r["value"])
            for r in csv.DictReader(lines)
        ]
        return cls(rows)

    def country(self, value: str) -> Jurisdiction | None:
        """A country (or subdivision) field: ISO code, or a country or region name."""
        text = value.strip()
        hit = self.codes.get(text.upper())
        if hit is not None:
            return hit
        hit = self.names.get(fold(text))
        if hit is not None:
            return hit
        code = country_code(text)
        return self.codes.get(code) if code else None

    def place(self, value: str) -> Jurisdiction | None:
        """A town or region field: the whole value is a listed place name."""
        return self.names.get(fold(value))

    def mentions(self, text: str) -> list[tuple[str, Jurisdiction]]:
        """Listed country, region and town names appearing as words in ``text``."""
        return [(m.group(1), self.names[m.group(1)]) for m in self._pattern.finditer(fold(text))]


# -- identifiers --------------------------------------------------------------------------

_ID_VIEWS: weakref.WeakKeyDictionary[CompiledIndex, _IdentifierIndex] = weakref.WeakKeyDictionary()


class _IdentifierIndex:
    """List identifiers of one compiled index, with BICs grouped by institution (BIC8)."""

    def __init__(self, compiled: CompiledIndex) -> None:
        self.ix = compiled
        self.by_bic8: dict[str, list[tuple[int, str]]] = {}
        for value, entities in compiled.id_map.items():
            m = _BIC.match(value)
            if m is None or country_code(m.group(1)) is None:
                continue
            for e in entities:
                self.by_bic8.setdefault(value[:8], []).append((e, value))

    @classmethod
    def of(cls, compiled: CompiledIndex) -> _IdentifierIndex:
        view = _ID_VIEWS.get(compiled)
        if view is None:
            view = _ID_VIEWS[compiled] = cls(compiled)
        return view

    def bic(self, value: str) -> list[tuple[int, str, str]]:
        """(entity number, listed BIC, how) for a BIC from a message."""
        bic = normalize_id(value)
        if not _BIC.match(bic):
            return []
        branch = bic[8:] if len(bic) == 11 and bic[8:] != "XXX" else ""
        out = []
        for e, listed in self.by_bic8.get(bic[:8], ()):
            lbranch = listed[8:] if len(listed) == 11 and listed[8:] != "XXX" else ""
            if lbranch == branch:
                how = "exact" if listed == bic else "same BIC (BIC8/BIC11 XXX)"
            elif not lbranch:
                how = f"institution {listed} listed (all branches)"
            elif not branch:
                how = f"branch {listed} of this institution listed"
            else:
                how = f"other branch {listed} of the same institution listed"
            out.append((e, listed, how))
        return out

    def identifier(self, value: str) -> list[int]:
        v = normalize_id(value)
        if len(v) < 4:
            return []
        return list(self.ix.id_map.get(v, ()))


# -- results ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentHit:
    field: str  # XPath-like path (ISO 20022) or field tag (MT)
    value: str
    id: str  # listed entity id, or the jurisdiction code (CU, IR, KP, SY, UA-43, ...)
    score: float
    reason: str
    kind: str  # name | bic | identifier | jurisdiction | text
    role: str | None = None  # the party's role, when the hit is on a party
    caption: str | None = None
    programs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "field": self.field,
            "value": self.value,
            "id": self.id,
            "score": round(self.score, 4),
            "reason": self.reason,
            "kind": self.kind,
        }
        if self.role:
            out["role"] = self.role
        if self.caption:
            out["caption"] = self.caption
        if self.programs:
            out["programs"] = list(self.programs)
        return out


@dataclass(frozen=True, slots=True)
class PaymentDecision:
    source: str
    type: str | None
    message_id: str | None
    decision: str  # pass | hold | error
    hits: tuple[PaymentHit, ...] = ()
    error: str | None = None
    snapshots: dict[str, str] = field(default_factory=dict)
    threshold: float = DEFAULT_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "type": self.type,
            "decision": self.decision,
            "hits": [h.to_dict() for h in self.hits],
            "source": self.source,
        }
        if self.error:
            out["error"] = self.error
        return out


# -- the screener -------------------------------------------------------------------------


class PaymentScreener:
    """Screens payment messages against one match index (reusable across messages; its
    caches make repeated names and texts cheap)."""

    def __init__(
        self,
        index: MatchIndex,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        datasets: Collection[str] | None = None,
        snapshots: dict[str, str] | None = None,
        jurisdictions: JurisdictionTable | None = None,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold {threshold} is outside [0, 1]")
        self.index = index
        self.threshold = threshold
        self.datasets = list(datasets) if datasets else None
        self._allowed = None
        if self.datasets is not None:
            names = index.compiled.dataset_names
            self._allowed = {i for i, d in enumerate(names) if d in set(self.datasets)}
        self.snapshots = dict(snapshots or {})
        self.jurisdictions = jurisdictions or JurisdictionTable.default()
        self.ids = _IdentifierIndex.of(index.compiled)
        self.text = TextScanner(index, threshold=threshold, datasets=datasets)
        self._names: dict[tuple, list[MatchResult]] = {}

    # -- elements -----------------------------------------------------------------------

    def _entity_allowed(self, e: int) -> bool:
        return self._allowed is None or int(self.index.compiled.entity_dataset[e]) in self._allowed

    def _search(self, name: str, schema: str | None, birth: str | None) -> list[MatchResult]:
        key = (name, schema, birth)
        hit = self._names.get(key)
        if hit is None:
            dates = (birth,) if birth and _DATE.match(birth) else ()
            try:
                query = Query(names=(name,), schema=schema, birth_dates=dates)
                hit = self.index.search(
                    query, threshold=self.threshold, limit=MAX_NAME_RESULTS, datasets=self.datasets
                )
            except QueryError:
                hit = []
            if len(self._names) > 50_000:
                self._names.clear()
            self._names[key] = hit
        return hit

    def _entity_hit(
        self, e: int, path: str, value: str, reason: str, kind: str, role: str | None
    ) -> PaymentHit:
        info = self.index.compiled.entity_info(e)
        return PaymentHit(
            field=path,
            value=value,
            id=info.id,
            score=1.0,
            reason=f"{reason}: {info.caption} ({', '.join(info.programs) or info.datasets[0]})",
            kind=kind,
            role=role,
            caption=info.caption,
            programs=info.programs,
        )

    def _party_hits(self, party: Party) -> list[PaymentHit]:
        hits: list[PaymentHit] = []
        role = party.role
        if party.name:
            schema = "Organization" if party.agent else party.schema
            for r in self._search(party.name, schema, party.birth_date):
                hits.append(
                    PaymentHit(
                        field=party.path_of("name"),
                        value=party.name,
                        id=r.entity_id,
                        score=r.score,
                        reason=f"{role} name matches listed {r.schema}: {r.explanation.summary}",
                        kind="name",
                        role=role,
                        caption=r.caption,
                        programs=r.programs,
                    )
                )
        if party.bic:
            for e, _listed, how in self.ids.bic(party.bic):
                if self._entity_allowed(e):
                    hits.append(
                        self._entity_hit(
                            e, party.path_of("bic"), party.bic, f"BIC {how}", "bic", role
                        )
                    )
        if party.bic and _BIC.match(normalize_id(party.bic)):
            j = self.jurisdictions.codes.get(normalize_id(party.bic)[4:6])
            if j is not None:  # the bank's own country, positions 5-6 of the BIC
                hits.append(self._jurisdiction_hit(party.path_of("bic"), party.bic, j, role))
        if party.account and _IBAN.match(normalize_id(party.account)):
            j = self.jurisdictions.codes.get(normalize_id(party.account)[:2])
            if j is not None:  # an IBAN starts with its country
                hits.append(
                    self._jurisdiction_hit(party.path_of("account"), party.account, j, role)
                )
        values = [("account", party.account)] if party.account else []
        values += [(f"id[{i}]", v) for i, v in enumerate(party.other_ids)]
        for element, value in values:
            for e in self.ids.identifier(value or ""):
                if self._entity_allowed(e):
                    path = party.path_of(element)
                    label = "account" if element == "account" else "identifier"
                    hits.append(
                        self._entity_hit(
                            e, path, value or "", f"listed {label}", "identifier", role
                        )
                    )
        for element, value in (("country", party.country), ("residence", party.residence)):
            if value:
                j = self.jurisdictions.country(value)
                if j is not None:
                    hits.append(self._jurisdiction_hit(party.path_of(element), value, j, role))
        if party.town:
            j = self.jurisdictions.place(party.town)
            if j is not None:
                hits.append(self._jurisdiction_hit(party.path_of("town"), party.town, j, role))
        places = [(party.path_of(f"address[{i}]"), x) for i, x in enumerate(party.address_lines)]
        if party.name:
            places.append((party.path_of("name"), party.name))
        for path, line in places:
            found_any = False
            for found, j in self.jurisdictions.mentions(line):
                hits.append(self._jurisdiction_hit(path, line, j, role, found))
                found_any = True
            if not found_any and path != party.path_of("name"):
                j = self.jurisdictions.country(line)  # "IR", "UA-43", "Tehran, Iran"
                if j is not None:
                    hits.append(self._jurisdiction_hit(path, line, j, role))
        return hits

    def _jurisdiction_hit(
        self, path: str, value: str, j: Jurisdiction, role: str | None, found: str | None = None
    ) -> PaymentHit:
        what = f"'{found}' is in" if found else "is"
        kind = {"town": "a town of", "region": "", "country": "", "code": ""}.get(j.kind, "")
        reason = f"{value!r} {what} {kind} sanctioned jurisdiction {j.label} ({j.code})"
        return PaymentHit(
            field=path,
            value=value,
            id=j.code,
            score=1.0,
            reason=" ".join(reason.split()),
            kind="jurisdiction",
            role=role,
            caption=j.label,
        )

    def _text_hits(self, path: str, text: str) -> list[PaymentHit]:
        hits = []
        for m in self.text.scan(text):
            r = m.result
            hits.append(
                PaymentHit(
                    field=path,
                    value=m.text,
                    id=r.entity_id,
                    score=r.score,
                    reason=f"free text mentions listed {r.schema}: {r.explanation.summary}",
                    kind="text",
                    caption=r.caption,
                    programs=r.programs,
                )
            )
        for found, j in self.jurisdictions.mentions(text):
            hits.append(self._jurisdiction_hit(path, text, j, None, found))
        for word in _LONG_WORD.findall(text):
            for e in self.ids.identifier(word):
                if self._entity_allowed(e):
                    hits.append(
                        self._entity_hit(
                            e, path, word, "listed identifier in text", "identifier", None
                        )
                    )
        return hits

    # -- messages -----------------------------------------------------------------------

    def screen(self, message: PaymentMessage) -> PaymentDecision:
        hits: list[PaymentHit] = []
        for party in message.parties:
            hits.extend(self._party_hits(party))
        for item in message.texts:
            hits.extend(self._text_hits(item.path, item.text))
        unique: dict[tuple[str, str, str], PaymentHit] = {}
        for h in hits:
            key = (h.field, h.id, h.value)
            if key not in unique or unique[key].score < h.score:
                unique[key] = h
        return PaymentDecision(
            source=message.source,
            type=message.type,
            message_id=message.message_id,
            decision=HOLD if unique else PASS,
            hits=tuple(unique.values()),
            snapshots=self.snapshots,
            threshold=self.threshold,
        )

    def screen_all(
        self, items: Sequence[PaymentMessage | MessageError], source: str = ""
    ) -> list[PaymentDecision]:
        """Decisions for parsed messages; a parse error becomes an ``error`` decision."""
        out = []
        for item in items:
            if isinstance(item, MessageError):
                out.append(error_decision(source, item))
            else:
                out.append(self.screen(item))
        return out


def error_decision(source: str, error: Exception) -> PaymentDecision:
    return PaymentDecision(
        source=source, type=None, message_id=None, decision=ERROR, error=str(error)
    )


# -- audit --------------------------------------------------------------------------------


def audit_entry(
    actor: str,
    decision: PaymentDecision,
    message: PaymentMessage | None = None,
    *,
    algorithm: str = ALGORITHM,
) -> AuditEntry:
    """The audit record of one payment decision: what was screened (the parsed message),
    against which snapshots, the decision and every hit."""
    query: dict[str, Any]
    if message is not None:
        query = message.to_dict()
    else:
        query = {"source": decision.source, "error": decision.error}
    return AuditEntry(
        action="payment",
        actor=actor,
        query=query,
        datasets=dict(decision.snapshots),
        threshold=decision.threshold,
        algorithm=algorithm,
        results=[
            {"field": h.field, "id": h.id, "score": round(h.score, 4), "kind": h.kind}
            for h in decision.hits
        ],
        details={
            "message_id": decision.message_id,
            "type": decision.type,
            "decision": decision.decision,
            **({"error": decision.error} if decision.error else {}),
        },
    )


AuditSink = Callable[[Sequence[AuditEntry]], Any]

__all__ = [
    "ERROR",
    "HOLD",
    "PASS",
    "AuditSink",
    "Jurisdiction",
    "JurisdictionTable",
    "PaymentDecision",
    "PaymentHit",
    "PaymentScreener",
    "audit_entry",
    "error_decision",
    "fold",
]
