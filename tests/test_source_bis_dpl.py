from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from tamiz.model import NameKind, ParseError, Schema, SourceFile
from tamiz.sources import FORMATS, bis_dpl

DPL = "dpl-2022-09.txt"


@pytest.fixture(scope="module")
def parsed(lists_dir: Path):
    path = lists_dir / "us_bis_dpl" / DPL
    started = time.perf_counter()
    result = bis_dpl.parse([SourceFile(path.name, path.read_bytes())], "us_bis_dpl")
    assert time.perf_counter() - started < 5
    return result


def _id(name: str, effective: str) -> str:
    return "us_bis_dpl:" + hashlib.sha256(f"{name}|{effective}".encode()).hexdigest()[:16]


def _find(parsed, name: str, listed_on: str):
    (entity,) = [
        e for e in parsed.entities if e.caption == name and e.designations[0].listed_on == listed_on
    ]
    return entity


def test_format_registry_points_here():
    assert FORMATS["bis-dpl"].parser() is bis_dpl.parse


def test_counts(parsed):
    # 581 name-and-address rows are 461 (name, effective date) parties.
    assert len(parsed.entities) == 461
    # two rows repeat another row of their party exactly
    assert sum(len(e.addresses) for e in parsed.entities) == 579
    schemas = [e.schema for e in parsed.entities]
    assert schemas.count(Schema.PERSON) == 350
    assert schemas.count(Schema.COMPANY) == 71
    assert schemas.count(Schema.ORGANIZATION) == 37
    assert schemas.count(Schema.LEGAL_ENTITY) == 3
    assert parsed.published is None  # dpl.txt states no date
    assert len({e.id for e in parsed.entities}) == 461


def test_entity_fully(parsed):
    entity = _find(parsed, "ABDULAH AL NASSER", "2002-03-04")
    assert entity.id == _id("ABDULAH AL NASSER", "2002-03-04")
    assert entity.schema is Schema.PERSON
    assert [(n.full, n.kind) for n in entity.names] == [("ABDULAH AL NASSER", NameKind.PRIMARY)]
    first, second = entity.addresses
    assert first.street == "605 TRAIL LAKE DRIVE"
    assert (first.city, first.region, first.postal_code, first.country) == (
        "RICHARDSON",
        "TX",
        "75081",
        "US",
    )
    assert second.full == "908 AUDELIA ROAD, SUIE 200, PMB #245, RICHARDSON, TX, 75081, US"
    assert entity.countries == ("US",)
    (designation,) = entity.designations
    assert designation.authority == "US Department of Commerce, Bureau of Industry and Security"
    assert designation.program == "DPL"
    assert designation.program_title == "Denied Persons List"
    assert designation.legal_basis == "Export Administration Regulations, 15 CFR Part 764"
    assert designation.topics == ("export.control",)
    assert designation.kind == "export_control"
    assert designation.listed_on == "2002-03-04"
    assert designation.delisted_on == "2056-06-29"
    # the address rows disagree; the most complete citation is kept
    assert (
        designation.source_ref == "67 F.R. 56530 9/4/02 67 F.R. 10890 3/11/02 71 F.R. 38843 7/10/06"
    )
    assert entity.property_values("modifiedAt") == ("2006-07-11",)
    assert "BIS action: 50 YEAR DENIAL" in entity.remarks


def test_same_name_under_two_orders_is_two_entities(parsed):
    orders = sorted(e.designations[0].listed_on for e in parsed.entities if e.caption == "I. ASH")
    assert orders == ["2002-03-04", "2003-06-19"]
    later = _find(parsed, "I. ASH", "2002-03-04")
    # Rows of one order whose citations differ by a comma still form one party.
    assert len(later.addresses) == 2


def test_ids_are_stable_and_independent_of_row_order(lists_dir: Path):
    data = (lists_dir / "us_bis_dpl" / DPL).read_bytes()
    header, *lines = data.split(b"\n")
    shuffled = b"\n".join([header, *reversed([line for line in lines if line])]) + b"\n"
    first = bis_dpl.parse([SourceFile("a.txt", data)], "us_bis_dpl")
    second = bis_dpl.parse([SourceFile("b.txt", shuffled)], "us_bis_dpl")
    assert {e.id: e.fingerprint() for e in first.entities} == {
        e.id: e.fingerprint() for e in second.entities
    }


def test_aliases_inside_the_name_cell(parsed):
    fuyi = _find(parsed, "FUYI SUN", parsed_date(parsed, "FUYI SUN"))
    assert [(n.full, n.kind) for n in fuyi.names] == [
        ("FUYI SUN", NameKind.PRIMARY),
        ("FRANK SUN", NameKind.AKA),
    ]
    pearl = next(e for e in parsed.entities if e.caption == "PEARL LI")
    assert [n.full for n in pearl.names] == ["PEARL LI", "NEI-CHIEN CHU"]
    siberian = next(e for e in parsed.entities if e.caption == "SIBERIAN AIRLINES")
    assert [n.full for n in siberian.names] == ["SIBERIAN AIRLINES", "S7 AIRLINES"]
    assert siberian.schema is Schema.ORGANIZATION


def parsed_date(parsed, name: str) -> str:
    return next(e.designations[0].listed_on for e in parsed.entities if e.caption == name)


def test_non_standard_order_and_open_ended_expiry(parsed):
    nonstandard = _find(parsed, "ABDULAMIR MAHDI", "2003-10-03")
    assert "Non-standard denial order (Standard_Order = N)" in nonstandard.remarks
    assert nonstandard.addresses[0].country == "CA"
    open_ended = _find(parsed, "ADT ANALOG AND DIGITAL TECHNIK", "1981-09-10")
    assert open_ended.designations[0].delisted_on is None
    assert open_ended.addresses[0].country == "DE"


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("AIR FREIGHT LTD", Schema.COMPANY),
        ("COTRICOM S.A.", Schema.COMPANY),
        ("YARRA ANSTALT A.G.", Schema.COMPANY),
        ("PJSC AEROFLOT", Schema.COMPANY),
        ("ANNEXFIELD , LTD.", Schema.COMPANY),
        ("MAHAN AIRWAYS", Schema.ORGANIZATION),
        ("HASA-INVEST", Schema.ORGANIZATION),
        ("APPLIED SYSTEMS METHODS AND TECHNOLOGY (ASMAT)", Schema.ORGANIZATION),
        ("ABEL HERNANDEZ, JR.", Schema.PERSON),
        ("T. K. MOHAN", Schema.PERSON),
        ("KATHERINE O'NEAL", Schema.PERSON),
        ('IHSAN MEDHAT "SAMMY" ELASHI', Schema.PERSON),
        ("JIN, ZHONGDA", Schema.PERSON),
        ("TECHONWEB", Schema.LEGAL_ENTITY),
        ("SYNAPTIX.NET", Schema.LEGAL_ENTITY),
        ("AVIASTAR - TU", Schema.LEGAL_ENTITY),
    ],
)
def test_schema_from_name_shape(name: str, schema: Schema):
    assert bis_dpl.infer_schema(name) is schema


# -- small files written here -------------------------------------------------------------

HEADER = (
    '"Name"\t"Street_Address"\t"City"\t"State"\t"Country"\t"Postal_Code"\t"Effective_Date"\t'
    '"Expiration_Date"\t"Standard_Order"\t"Last_Update"\t"Action"\t"FR_Citation"'
)


def test_crlf_and_cp1252():
    body = (
        HEADER + "\r\n"
        '"JOSÉ PÉREZ"\t"CALLE 1"\t"MADRID"\t""\t"ES"\t""\t"01/02/2020"\t"01/02/2030"\t"Y"\t'
        '"2020-02-05"\t"FR NOTICE ADDED"\t"85 F.R. 1 2/5/2020"\r\n'
    )
    parsed = bis_dpl.parse([SourceFile("w.txt", body.encode("cp1252"))], "us_bis_dpl")
    (entity,) = parsed.entities
    assert entity.caption == "JOSÉ PÉREZ"
    assert entity.designations[0].listed_on == "2020-01-02"  # month first
    assert entity.addresses[0].country == "ES"


def test_bad_effective_date_names_the_row():
    body = HEADER + '\n"SOMEONE"\t""\t""\t""\t""\t""\t"soon"\t""\t"Y"\t""\t""\t""\n'
    with pytest.raises(ParseError, match=r"d\.txt: row 2 \(SOMEONE\): effective date 'soon'"):
        bis_dpl.parse([SourceFile("d.txt", body.encode())], "us_bis_dpl")


def test_row_without_name():
    body = HEADER + '\n""\t"X"\t""\t""\t""\t""\t"01/02/2020"\t""\t"Y"\t""\t""\t""\n'
    with pytest.raises(ParseError, match=r"n\.txt: row 2 has no name"):
        bis_dpl.parse([SourceFile("n.txt", body.encode())], "us_bis_dpl")


# -- bad input ------------------------------------------------------------------------------


def test_empty_file():
    with pytest.raises(ParseError, match=r"e\.txt: empty file"):
        bis_dpl.parse([SourceFile("e.txt", b"")], "us_bis_dpl")


def test_header_only():
    with pytest.raises(ParseError, match=r"h\.txt: header only"):
        bis_dpl.parse([SourceFile("h.txt", (HEADER + "\n").encode())], "us_bis_dpl")


def test_truncated_file_still_parses_complete_rows(lists_dir: Path):
    data = (lists_dir / "us_bis_dpl" / DPL).read_bytes()
    cut = data[: data.index(b"\n", len(data) // 2) + 1]
    parsed = bis_dpl.parse([SourceFile("cut.txt", cut)], "us_bis_dpl")
    assert 0 < len(parsed.entities) < 461


def test_truncated_inside_a_quoted_field(lists_dir: Path):
    data = (lists_dir / "us_bis_dpl" / DPL).read_bytes()
    cut = data[: data.index(b'"', len(data) // 2) + 3]  # stops inside a quoted cell
    with pytest.raises(ParseError, match=r"cut\.txt: malformed"):
        bis_dpl.parse([SourceFile("cut.txt", cut)], "us_bis_dpl")


def test_truncated_between_cells(lists_dir: Path):
    data = (lists_dir / "us_bis_dpl" / DPL).read_bytes()
    cut = data[: data.index(b'"\t"', len(data) // 2) + 1]  # stops after a complete cell
    with pytest.raises(ParseError, match=r"cut\.txt: row \d+ has \d+ cells where the header"):
        bis_dpl.parse([SourceFile("cut.txt", cut)], "us_bis_dpl")


def test_wrong_file_types(lists_dir: Path):
    ods = (lists_dir / "gb_fcdo" / "uk-sanctions-list-summary-2025-08-11.ods").read_bytes()
    with pytest.raises(ParseError, match=r"uk\.ods: .*(binary|not)"):
        bis_dpl.parse([SourceFile("uk.ods", ods)], "us_bis_dpl")
    with pytest.raises(ParseError, match=r"u16\.txt: looks like UTF-16"):
        bis_dpl.parse([SourceFile("u16.txt", HEADER.encode("utf-16"))], "us_bis_dpl")
    csv_like = b"Unique ID,Name\r\nRUS0001,X\r\n"
    with pytest.raises(ParseError, match=r"c\.csv: not a (tab-separated )?(BIS )?Denied"):
        bis_dpl.parse([SourceFile("c.csv", csv_like)], "us_bis_dpl")
