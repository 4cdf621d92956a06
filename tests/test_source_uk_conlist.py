"""UK HM Treasury / OFSI ConList (legacy CSV) against the complete 2016-03-23 list."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from tamiz.model import (
    Address,
    DateValue,
    Designation,
    Identifier,
    Name,
    NameKind,
    ParseError,
    Schema,
    SourceFile,
)
from tamiz.programs import catalogue
from tamiz.sources import FORMATS, uk_conlist

FILE = "conlist-2016-03-23.csv"
HEADER = (
    "Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,Title,DOB,Town of Birth,Country of Birth,"
    "Nationality,Passport Details,NI Number,Position,Address 1,Address 2,Address 3,Address 4,"
    "Address 5,Address 6,Post/Zip Code,Country,Other Information,Group Type,Alias Type,Regime,"
    "Listed On,Last Updated,Group ID"
)


@pytest.fixture(scope="module")
def raw(lists_dir: Path) -> bytes:
    return (lists_dir / "gb_hmt" / FILE).read_bytes()


@pytest.fixture(scope="module")
def parsed(raw: bytes):
    return uk_conlist.parse([SourceFile(FILE, raw)], "gb_hmt")


@pytest.fixture(scope="module")
def entities(parsed):
    return {e.id: e for e in parsed.entities}


def test_registered_format() -> None:
    assert FORMATS["uk-conlist-csv"].parser() is uk_conlist.parse


def test_counts(parsed) -> None:
    assert len(parsed.entities) == 1924
    assert sum(e.schema is Schema.PERSON for e in parsed.entities) == 1269
    assert sum(e.schema is Schema.ORGANIZATION for e in parsed.entities) == 655
    assert parsed.published == dt.date(2016, 3, 23)
    assert not parsed.warnings  # every regime is in the catalogue, every alias type known
    kinds = Counter(n.kind for e in parsed.entities for n in e.names)
    assert kinds[NameKind.PRIMARY] == 1924
    assert kinds[NameKind.FORMER] > 0 and kinds[NameKind.AKA] > 3000
    regimes = {d.program for e in parsed.entities for d in e.designations}
    assert len(regimes) == 26 and {r.upper() for r in regimes} <= set(catalogue("gb_hmt"))
    for entity in parsed.entities:
        for designation in entity.designations:
            assert designation.authority == uk_conlist.AUTHORITY
            assert designation.listed_on  # every row states Listed On


def test_fully_checked_group(entities) -> None:
    rahman = entities["gb_hmt:6894"]
    assert rahman.schema is Schema.PERSON
    assert rahman.names[0] == Name(
        "Mohamad Iqbal ABDURRAHMAN",
        NameKind.PRIMARY,
        first_name="Mohamad",
        middle_name="Iqbal",
        last_name="ABDURRAHMAN",
    )
    assert {n.full for n in rahman.names} == {
        "Mohamad Iqbal ABDURRAHMAN",
        "Mohamad Iqbal A RAHMAN",
        "Mohamad Iqbal ABDUL RAHMAN",
        "Abu Jibril ABDURRAHMAN",
        "Fihiruddin MUQTI",
        "Fikiruddin MUQTI",
        "Mohamad Iqbal RAHMAN",
    }
    assert rahman.birth_dates == (DateValue("1957-08-17"), DateValue("1958-08-17"))
    assert rahman.birth_places == (
        "(1) Tirpas-Selong Village, East Lombok (2) Korleko-Lombok Timur, (1)-(2) Indonesia",
    )
    assert rahman.nationalities == ("ID",)
    assert rahman.identifiers == (
        Identifier(
            "national_id", "3603251708570001", label="NI Number", note="no 3603251708570001"
        ),
    )
    assert rahman.addresses == (
        Address(
            full="Jalan Nakula, Komplek Witana Harja III Blok C 106-107, Tangerang, Indonesia",
            street="Jalan Nakula, Komplek Witana Harja III Blok C 106-107",
            city="Tangerang",
            country="ID",
            country_name="Indonesia",
        ),
    )
    assert rahman.remarks == ("UN Ref QI.A.86.03.",)
    assert rahman.designations == (
        Designation(
            authority="HM Treasury, Office of Financial Sanctions Implementation",
            program="The ISIL (Da'esh) and Al-Qaida organisations",
            program_title="The ISIL (Da'esh) and Al-Qaida organisations",
            legal_basis="Council Regulation (EC) No 881/2002",
            listed_on="2003-01-24",
            topics=("sanction", "crime.terror"),
        ),
    )
    assert rahman.property_values("modifiedAt") == ("2011-06-23",)


def test_dob_forms(entities, parsed) -> None:
    values = {d.value for e in parsed.entities for d in e.birth_dates}
    assert "1957-08-17" in values  # dd/mm/yyyy
    assert any(v and len(v) == 4 for v in values)  # 00/00/yyyy -> year only
    assert any(v and len(v) == 7 for v in values)  # 00/mm/yyyy -> year and month
    assert all(d.value for e in parsed.entities for d in e.birth_dates)


def test_several_regimes_and_documents(entities) -> None:
    group = entities["gb_hmt:10638"]
    assert {(d.program, d.listed_on) for d in group.designations} == {
        ("Iran (nuclear proliferation)", "2008-06-24"),
        ("Syria", "2011-06-24"),
        ("Iran (human rights)", "2011-04-14"),
    }
    documents = {(i.type, i.value, i.country) for e in entities.values() for i in e.identifiers}
    assert ("passport", "G827238", "TN") in documents  # "G827238 (Tunisian). Issued on ..."
    assert ("passport", "A-333602", "IN") in documents  # first of an enumerated list
    assert ("drivers_license", "D2161572", None) in documents
    assert ("national_id", "54201-247561-5", "PK") in documents  # "Pakistani national ID no."
    # a cell with no number in it is kept as a remark, not dropped
    assert any(
        r == "Passport Details: Uganda Passport." for e in entities.values() for r in e.remarks
    )


def _row(**cells: str) -> str:
    columns = HEADER.split(",")
    return ",".join(f'"{cells.get(c, "")}"' for c in columns)


def test_small_file_from_the_format_description() -> None:
    # Built here from the published ConList layout, not taken from a real file: free-text
    # DOB, an FKA, a regime missing from the catalogue, an unknown alias type.
    rows = [
        _row(**{"Name 6": "DOE", "Name 1": "John", "DOB": "circa 1960", "Group Type": "Individual",
                "Alias Type": "Prime Alias", "Regime": "Atlantis", "Listed On": "01/02/2015",
                "Group ID": "1", "Nationality": "Not registered as a citizen of Atlantis"}),
        _row(**{"Name 6": "ROE", "Name 1": "John", "Group Type": "Individual",
                "Alias Type": "FKA", "Regime": "Atlantis", "Listed On": "01/02/2015",
                "Group ID": "1", "DOB": "1960 to 1962"}),
        _row(**{"Name 6": "JD", "Group Type": "Individual", "Alias Type": "Nickname",
                "Regime": "Atlantis", "Listed On": "01/02/2015", "Group ID": "1"}),
    ]  # fmt: skip
    data = "\r\n".join(["Last Updated,02/02/2015", HEADER, *rows, ""]).encode("cp1252")
    parsed = uk_conlist.parse([SourceFile("small.csv", data)], "gb_hmt")
    (entity,) = parsed.entities
    assert [(n.full, n.kind) for n in entity.names] == [
        ("John DOE", NameKind.PRIMARY),
        ("John ROE", NameKind.FORMER),
        ("JD", NameKind.AKA),
    ]
    assert entity.birth_dates == (
        DateValue("1960", circa=True, text="circa 1960"),
        DateValue("1960", end="1962", text="1960 to 1962"),
    )
    assert entity.nationalities == ()  # a negation names no nationality ...
    assert "Nationality: Not registered as a citizen of Atlantis" in entity.remarks  # ... kept
    (designation,) = entity.designations
    assert designation.program == "Atlantis" and designation.listed_on == "2015-02-01"
    assert designation.authority == uk_conlist.AUTHORITY
    assert any("Atlantis" in w for w in parsed.warnings)
    assert any("Nickname" in w.lower() or "nickname" in w for w in parsed.warnings)


def _edit_copy(raw: bytes) -> bytes:
    """A second version of the list, made by editing a copy: group 10657 removed, a date of
    birth in group 6894 changed, an AKA row added to group 8990."""
    lines = raw.decode("cp1252").split("\r\n")
    lines = [line for line in lines if not line.endswith(",10657")]
    lines = [line.replace("17/08/1957", "18/08/1957") if line.endswith(",6894") else line
             for line in lines]  # fmt: skip
    row = next(line for line in lines if line.endswith(",8990"))
    lines.append("7TH OF TIR COMPANY" + row[len("7TH OF TIR") :].replace("Prime Alias", "AKA"))
    return "\r\n".join(lines).encode("cp1252")


def test_two_versions_differ_exactly_where_edited(raw: bytes, parsed) -> None:
    second = uk_conlist.parse([SourceFile("edited.csv", _edit_copy(raw))], "gb_hmt")
    before = {e.id: e.fingerprint() for e in parsed.entities}
    after = {e.id: e.fingerprint() for e in second.entities}
    assert set(before) - set(after) == {"gb_hmt:10657"}
    assert set(after) - set(before) == set()
    assert {i for i in after if after[i] != before[i]} == {"gb_hmt:6894", "gb_hmt:8990"}
    tir = next(e for e in second.entities if e.id == "gb_hmt:8990")
    assert Name("7TH OF TIR COMPANY", NameKind.AKA) in tir.names
    rahman = next(e for e in second.entities if e.id == "gb_hmt:6894")
    assert DateValue("1957-08-18") in rahman.birth_dates
    assert DateValue("1957-08-17") not in rahman.birth_dates


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("empty.csv", lambda raw: b"", "empty file"),
        ("utf16.csv", lambda raw: raw.decode("cp1252").encode("utf-16"), "UTF-16"),
        ("cut.csv", lambda raw: raw[: len(raw) // 2], "truncated"),
        ("header.csv", lambda raw: b"Last Updated,23/03/2016\r\n" + HEADER.encode(), "no entries"),
        ("date.csv", lambda raw: b"Last Updated,soon\r\n" + HEADER.encode(), "not a date"),
        ("other.csv", lambda raw: b"name,aliases\r\nJohn,Jo\r\n", "not a ConList CSV"),
        ("list.xml", lambda raw: b'<?xml version="1.0"?><export/>', "not a ConList CSV"),
    ],
)
def test_bad_input(raw: bytes, name: str, make, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        uk_conlist.parse([SourceFile(name, make(raw))], "gb_hmt")
    assert name in str(info.value)
