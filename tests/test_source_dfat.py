from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

import openpyxl
import pytest

from tamiz.model import DateValue, NameKind, ParseError, Schema, SourceFile
from tamiz.sources import FORMATS, dfat

XLSX = "regulation8_consolidated-2024-12.xlsx"
AUTHORITY = "Australian Government, Department of Foreign Affairs and Trade"


@pytest.fixture(scope="module")
def parsed(lists_dir: Path):
    path = lists_dir / "au_dfat" / XLSX
    started = time.perf_counter()
    result = dfat.parse([SourceFile(path.name, path.read_bytes())], "au_dfat")
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"parsing the DFAT workbook took {elapsed:.1f} s"
    return result


@pytest.fixture(scope="module")
def by_id(parsed):
    return {e.id: e for e in parsed.entities}


def test_format_registry_points_here():
    assert FORMATS["dfat-xlsx"].parser() is dfat.parse


# -- the real workbook ----------------------------------------------------------------------


def test_counts(parsed):
    # 9,560 data rows: 7 blank, 9,553 names of 3,062 references; 20 names are exact repeats
    # within their reference (the same alias listed twice).
    assert len(parsed.entities) == 3062
    assert sum(len(e.names) for e in parsed.entities) == 9533
    assert sum(1 for e in parsed.entities if e.schema is Schema.PERSON) == 2316
    assert sum(1 for e in parsed.entities if e.schema is Schema.ORGANIZATION) == 746
    assert all(e.names[0].kind is NameKind.PRIMARY for e in parsed.entities)
    assert parsed.published == dt.date(2024, 11, 11)


def test_entity_fully(by_id):
    entity = by_id["au_dfat:2"]
    assert entity.schema is Schema.PERSON
    assert [(n.full, n.kind) for n in entity.names] == [
        ("MOHAMMAD HASSAN AKHUND", NameKind.PRIMARY),
        ("محمد حسن أخوند", NameKind.NATIVE),
    ]
    assert entity.birth_dates == (
        DateValue("1955", end="1958", circa=True, text="Approximately 1955- 1958"),
        DateValue("1945", end="1950", circa=True, text="Approximately 1945-1950"),
    )
    assert entity.birth_places == (
        "Pashmul village, Panjwai District, Kandahar Province, Afghanistan",
    )
    assert entity.nationalities == ("AF",)
    assert entity.addresses == ()  # "NA"
    assert entity.remarks[0].startswith("Title: a) Mullah b) Haji. Designation:")
    assert entity.remarks[1].startswith("Listing information: Listed by UN 1267 Committee")
    (designation,) = entity.designations
    assert designation.authority == AUTHORITY
    assert designation.program == "1988 (Taliban)"
    assert designation.legal_basis == (
        "Charter of the United Nations Act 1945; "
        "Charter of the United Nations (Dealing with Assets) Regulations 2008"
    )
    assert designation.listed_on == "2001-01-25"
    assert designation.source_ref == "2"
    assert designation.topics == ("sanction",)
    assert entity.property_values("modifiedAt") == ("2014-12-15",)


def test_alias_rows_grouped_into_their_entity(by_id):
    hts = by_id["au_dfat:2672"]
    assert hts.caption == "AL-NUSRAH FRONT FOR THE PEOPLE OF THE LEVANT"
    assert len(hts.names) == 34
    names = {n.full: n.kind for n in hts.names}
    # references 2672a1 … (letter + digit suffixes) belong to 2672
    assert names["HTS"] is NameKind.AKA
    assert names["Hay’at Tahrir al-Sham"] is NameKind.AKA
    assert names["جبهة النصرة لأهل الشام"] is NameKind.NATIVE
    adf = by_id["au_dfat:2943"]
    kinds = {n.full: n.kind for n in adf.names}
    assert kinds["NALU"] is NameKind.FORMER  # "Formerly known as"
    assert kinds["Allied Democratic Forces"] is NameKind.AKA
    assert kinds["ADF"] is NameKind.PRIMARY


def test_identifiers_from_additional_information(by_id):
    eta = by_id["au_dfat:321"]
    assert [(i.type, i.value, i.country) for i in eta.identifiers] == [
        ("national_id", "16.255.819", "ES")
    ]
    assert eta.birth_dates == (DateValue("1961-04-25"),)
    shipping = by_id["au_dfat:3567"]
    assert [(i.type, i.value) for i in shipping.identifiers] == [("imo", "5954061")]
    assert shipping.property_values("imoNumber") == ("5954061",)


def test_every_committee_is_in_the_catalogue(parsed):
    assert not any("program catalogue" in w for w in parsed.warnings)
    programs = {d.program for e in parsed.entities for d in e.designations}
    assert len(programs) == 27
    # en dash in "Autonomous (Thematic – Corruption)" is read as a hyphen
    assert "Autonomous (Thematic - Corruption)" in programs
    assert all(d.legal_basis and d.authority == AUTHORITY for e in parsed.entities
               for d in e.designations)  # fmt: skip
    autonomous = next(
        d for e in parsed.entities for d in e.designations if d.program == "Autonomous (Russia)"
    )
    assert autonomous.legal_basis == (
        "Autonomous Sanctions Act 2011; Autonomous Sanctions Regulations 2011"
    )
    terror = next(d for e in parsed.entities for d in e.designations if d.program == "1373 (2001)")
    assert set(terror.topics) == {"sanction", "crime.terror"}


def test_two_committees_in_one_cell(by_id):
    assert by_id["au_dfat:1297"].programs == ("1970 (Libya)", "1973 (Libya)")


def test_listed_on_only_where_stated(by_id, parsed):
    dated = [e for e in parsed.entities if e.designations[0].listed_on]
    assert len(dated) == 1311
    # "Designated under the Autonomous Sanctions Regulations 2011 on 2 March 2012 … Relisted on
    # 12 January 2024" -> first designation, not the relisting
    relisted = [
        e
        for e in parsed.entities
        if any("Relisted on 12 January 2024" in r for r in e.remarks)
        and any("on 2 March 2012" in r for r in e.remarks)
    ]
    assert relisted
    assert {e.designations[0].listed_on for e in relisted} == {"2012-03-02"}


# -- messy dates of birth -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (dt.datetime(1961, 4, 25), [("1961-04-25", None, False)]),
        (1965, [("1965", None, False)]),
        ("18 Dec. 1965", [("1965-12-18", None, False)]),
        ("a) 13/01/1954                        b) 13/01/1959", [
            ("1954-01-13", None, False), ("1959-01-13", None, False)]),
        ("a) 1953; b) 1954", [("1953", None, False), ("1954", None, False)]),
        ("Between 1965 and 1969", [("1965", "1969", False)]),
        ("Circa 1979-1982", [("1979", "1982", True)]),
        ("c. 1957 or 14 March 1942", [("1957", None, True), ("1942-03-14", None, False)]),
        ("1963 or 1964 or 1965", [("1963", None, False), ("1964", None, False),
                                  ("1965", None, False)]),
        ("16/09/1949; alt DOB:15/09/1949", [("1949-09-16", None, False),
                                            ("1949-09-15", None, False)]),
        ("a) 11-Sep-2000; \nb) 2001", [("2000-09-11", None, False), ("2001", None, False)]),
        ("a) 5 Jan. 1974 b) 1977 c) 1975 d) 24 Jan.1973", [
            ("1974-01-05", None, False), ("1977", None, False), ("1975", None, False),
            ("1973-01-24", None, False)]),
        ("a) 03/1965; b) 04/1965", [("1965-03", None, False), ("1965-04", None, False)]),
        ("99/99/9999,01/02/1970, 5/06/1953 15/06/1953", [
            (None, None, False), ("1970-02-01", None, False), ("1953-06-05", None, False),
            ("1953-06-15", None, False)]),
        ("March 16, 1972", [("1972-03-16", None, False)]),
        ("August, 1961", [("1961-08", None, False)]),
        ("a) 1/01/1968 b) 23-Apr-68", [("1968-01-01", None, False), (None, None, False)]),
        ("24/06/1402 (Hijri Calendar)", [(None, None, False)]),
    ],
)  # fmt: skip
def test_birth_dates(cell, expected):
    got = [(d.value, d.end, d.circa) for d in dfat._birth_dates(cell)]
    assert got == expected


def test_birth_date_notes_are_kept():
    first, second = dfat._birth_dates(
        "15 May 1968 (as Yasir Sabawi Ibrahim Hasan Al-Tikriti) 1970 (as Ali Thafir Abdallah)"
    )
    assert first.value == "1968-05-15"
    assert first.text == "15 May 1968 (as Yasir Sabawi Ibrahim Hasan Al-Tikriti)"
    assert (second.value, second.text) == ("1970", "1970 (as Ali Thafir Abdallah)")
    (unparsed,) = dfat._birth_dates("23-Apr-68")
    assert unparsed.value is None and unparsed.text == "23-Apr-68"


def test_citizenship_parsing():
    assert dfat._countries("a) Pakistani       b) Saudi Arabian") == (["PK", "SA"], True)
    assert dfat._countries("Moldovan, Russian and Ukrainian") == (["MD", "RU", "UA"], True)
    assert dfat._countries("Trinidad and Tobago") == (["TT"], True)
    assert dfat._countries("Congolese") == ([], False)  # ambiguous: kept as a remark instead
    assert dfat._countries("Indonesian (as at Dec. 2003)") == (["ID"], False)


# -- small workbooks written here -----------------------------------------------------------

HEADER = [
    "Reference", "Name of Individual or Entity", "Type", "Name Type", "Date of Birth",
    "Place of Birth", "Citizenship", "Address", "Additional Information",
    "Listing Information", "Committees", "Control Date",
]  # fmt: skip


def _xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_small_workbook_grouping_and_columns_by_name():
    # Columns in a different order; a reference whose aliases precede its primary row.
    header = [
        "Name Type",
        "Reference",
        "Name of Individual or Entity",
        "Type",
        "Committees",
        "Citizenship",
        "Address",
        "Additional Information",
        "Listing Information",
    ]
    rows = [
        ["aka", "7a", "Jon Example", "Individual", "Autonomous (Iran)", "Iranian", None,
         "Passport no: Iran, number K12345678", "Listed on: 1 Feb. 2020"],
        ["Primary Name ", 7, "John EXAMPLE", "individual", "Autonomous (Iran)", "Iranian",
         "a) 1 Main Street, Tehran, Iran b) Kish Island, Iran", None, None],
        ["Original script", "7b", "جون", "Individual", "Autonomous (Iran)", None, None, None,
         None],
        ["Primary Name", "8", "Example Ships Co", "Entity ", "1718 (DPRK)", None, None,
         "IMO number: 1234567", None],
    ]  # fmt: skip
    parsed = dfat.parse([SourceFile("small.xlsx", _xlsx(rows, header))], "au_dfat")
    person, company = parsed.entities
    assert person.id == "au_dfat:7" and company.id == "au_dfat:8"
    assert [(n.full, n.kind) for n in person.names] == [
        ("John EXAMPLE", NameKind.PRIMARY),
        ("Jon Example", NameKind.AKA),
        ("جون", NameKind.NATIVE),
    ]
    assert person.schema is Schema.PERSON and company.schema is Schema.ORGANIZATION
    assert [(i.type, i.value, i.country) for i in person.identifiers] == [
        ("passport", "K12345678", "IR")
    ]
    assert [(a.full, a.country) for a in person.addresses] == [
        ("1 Main Street, Tehran, Iran", "IR"),
        ("Kish Island, Iran", "IR"),
    ]
    assert person.designations[0].listed_on == "2020-02-01"
    assert company.identifiers[0].value == "1234567"
    assert parsed.published is not None  # the workbook's modified time


def test_unknown_columns_are_kept_as_remarks():
    header = [*HEADER, "Instrument of Designation", "Sanction Type"]
    rows = [[5, "X CORP", "Entity", "Primary Name", *[None] * 8, "Instrument 2024 (No. 1)",
             "Targeted financial sanction"]]  # fmt: skip
    parsed = dfat.parse([SourceFile("x.xlsx", _xlsx(rows, header))], "au_dfat")
    (entity,) = parsed.entities
    assert "Instrument of designation: Instrument 2024 (No. 1)" in entity.remarks
    assert "Sanction Type: Targeted financial sanction" in entity.remarks
    assert any("Sanction Type" in w for w in parsed.warnings)


def test_unknown_name_type_and_committee_are_reported():
    rows = [[1, "A PERSON", "Individual", "Primary Name", None, None, None, None, None, None,
             "Autonomous (Atlantis)", dt.datetime(2024, 1, 2)],
            ["1a", "A. PERSON", "Individual", "Nickname", None, None, None, None, None, None,
             "Autonomous (Atlantis)", dt.datetime(2024, 1, 2)]]  # fmt: skip
    parsed = dfat.parse([SourceFile("u.xlsx", _xlsx(rows))], "au_dfat")
    (entity,) = parsed.entities
    assert [n.kind for n in entity.names] == [NameKind.PRIMARY, NameKind.AKA]
    assert entity.designations[0].program == "Autonomous (Atlantis)"
    assert entity.designations[0].authority == AUTHORITY
    assert entity.property_values("modifiedAt") == ("2024-01-02",)
    assert any("Nickname" in w for w in parsed.warnings)
    assert any("Atlantis" in w for w in parsed.warnings)


# -- bad input ------------------------------------------------------------------------------


def test_truncated_workbook(lists_dir: Path):
    data = (lists_dir / "au_dfat" / XLSX).read_bytes()
    with pytest.raises(ParseError, match=r"cut\.xlsx: truncated or corrupt zip"):
        dfat.parse([SourceFile("cut.xlsx", data[: len(data) * 2 // 3])], "au_dfat")


def test_ods_handed_to_the_dfat_parser(lists_dir: Path):
    data = (lists_dir / "gb_fcdo" / "uk-sanctions-list-summary-2025-08-11.ods").read_bytes()
    with pytest.raises(ParseError, match=r"uk\.ods: zip archive is not an Excel XLSX.*OpenDoc"):
        dfat.parse([SourceFile("uk.ods", data)], "au_dfat")


def test_text_file_handed_to_the_dfat_parser(lists_dir: Path):
    data = (lists_dir / "us_bis_dpl" / "dpl-2022-09.txt").read_bytes()
    with pytest.raises(ParseError, match=r"dpl\.txt: not an XLSX workbook"):
        dfat.parse([SourceFile("dpl.txt", data)], "au_dfat")


def test_other_workbook_layout():
    data = _xlsx([["x", "y"]], header=["Foo", "Bar"])
    with pytest.raises(ParseError, match=r"other\.xlsx: not a DFAT consolidated list"):
        dfat.parse([SourceFile("other.xlsx", data)], "au_dfat")


def test_row_without_reference():
    rows = [[None, "NO REF", "Individual", "Primary Name"]]
    with pytest.raises(ParseError, match=r"r\.xlsx: row 2 has no usable Reference"):
        dfat.parse([SourceFile("r.xlsx", _xlsx(rows))], "au_dfat")


def test_empty_and_header_only():
    with pytest.raises(ParseError, match=r"e\.xlsx: empty file"):
        dfat.parse([SourceFile("e.xlsx", b"")], "au_dfat")
    with pytest.raises(ParseError, match=r"h\.xlsx: .*no entries"):
        dfat.parse([SourceFile("h.xlsx", _xlsx([]))], "au_dfat")
