"""A small model of a payment message: who pays whom through which banks, and why.

Only what screening needs is kept: every party and agent with its role, name, address,
country, town, BIC, account and other identifiers, and the free text (remittance
information, instructions). Each value remembers where it came from (``paths``): an
XPath-like path for ISO 20022, the field tag for SWIFT MT, so a hit can name its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tamiz.model import ParseError


class MessageError(ParseError):
    """A payment message that cannot be read; the text names the message and the problem."""


@dataclass(frozen=True, slots=True)
class Party:
    """A party (debtor, creditor, ultimate parties, initiating party) or an agent (a bank)."""

    role: str  # debtor, creditor, ultimate_debtor, debtor_agent, intermediary_agent_1, ...
    path: str  # where the party sits in the message
    agent: bool = False  # a financial institution acting as agent
    name: str | None = None
    address_lines: tuple[str, ...] = ()
    town: str | None = None
    country: str | None = None  # as written (ISO code in ISO 20022 and MT option F)
    bic: str | None = None
    account: str | None = None  # IBAN or other account number
    other_ids: tuple[str, ...] = ()  # LEI, clearing member id, proxy, wallet, national id...
    schema: str | None = None  # "Person" / "Organization" where the message says so
    birth_date: str | None = None  # ISO date, where a private person's id gives it
    residence: str | None = None  # country of residence, as written
    paths: dict[str, str] = field(default_factory=dict)  # element -> path of its value

    def path_of(self, element: str) -> str:
        return self.paths.get(element, self.path)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "path": self.path, "agent": self.agent}
        for key in (
            "name",
            "town",
            "country",
            "bic",
            "account",
            "schema",
            "birth_date",
            "residence",
        ):
            value = getattr(self, key)
            if value:
                out[key] = value
        if self.address_lines:
            out["address_lines"] = list(self.address_lines)
        if self.other_ids:
            out["other_ids"] = list(self.other_ids)
        return out


@dataclass(frozen=True, slots=True)
class FreeText:
    """Remittance information, instructions and other narrative text."""

    path: str
    text: str


@dataclass(frozen=True, slots=True)
class PaymentMessage:
    source: str  # file name (or another label) the message was read from
    type: str  # pacs.008.001.08, pacs.009.001.08, pain.001.001.09, MT103, MT202, MT202COV
    message_id: str | None  # GrpHdr/MsgId, or MT field 20
    parties: tuple[Party, ...] = ()
    texts: tuple[FreeText, ...] = ()
    amounts: tuple[tuple[str, str, str], ...] = ()  # (path, currency, amount)

    @property
    def label(self) -> str:
        return f"{self.source} ({self.type} {self.message_id or 'without id'})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "type": self.type,
            "message_id": self.message_id,
            "parties": [p.to_dict() for p in self.parties],
            "texts": [{"path": t.path, "text": t.text} for t in self.texts],
            "amounts": [{"path": p, "currency": c, "amount": a} for p, c, a in self.amounts],
        }
