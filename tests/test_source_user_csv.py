from __future__ import annotations

import pytest

from tamiz.model import DateValue, NameKind, ParseError, Schema, SourceFile
from tamiz.sources import FORMATS, user_csv

# A compliance team's own list, written for these tests in the layout the module documents.
FULL = (
    "id,name,aliases,schema,dob,birth_place,gender,nationality,citizenship,country,address,"
    "passport,national_id,tax_id,imo,swift_bic,id_number,position,email,program,authority,"
    "listed_on,remarks\n"
    "C-001,Nicolás Example,Nico Example; N. Example|Nicolas Ejemplo,person,"
    '"1962-09-04; circa 1960",Caracas,M,VE,"Venezuela; ES",Panama,'
    '"1 Calle Uno, Caracas, Venezuela|PO Box 9, Panama City, Panama",'
    "P1234567;P7654321,V-1234567,J-123,,,A-99,Minister,nico@example.com,"
    '"FRAUD; PEP-REVIEW",Group Compliance,2024-05-01,Blocked after 2024 review\n'
    "C-002,Example Shipping Ltd,,Company,,,,,,GB,,,,GB123456789,,EXAMGB2L,,,,,,,\n"
    "C-003,OCEAN EXAMPLE,,vessel,,,,,,,,,,,9123456,,,,,SANCTIONS-WATCH,,2023-01-15,\n"
)


def _parse(text: str | bytes, name: str = "list.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return user_csv.parse([SourceFile(name, data)], "my_list")


def test_format_registry_points_here():
    assert FORMATS["csv"].parser() is user_csv.parse


def test_full_row():
    parsed = _parse(FULL)
    person, company, vessel = parsed.entities
    assert person.id == "my_list:C-001"
    assert person.schema is Schema.PERSON
    assert [(n.full, n.kind) for n in person.names] == [
        ("Nicolás Example", NameKind.PRIMARY),
        ("Nico Example", NameKind.AKA),
        ("N. Example", NameKind.AKA),
        ("Nicolas Ejemplo", NameKind.AKA),
    ]
    assert person.birth_dates == (
        DateValue("1962-09-04"),
        DateValue("1960", circa=True, text="circa 1960"),
    )
    assert person.birth_places == ("Caracas",)
    assert person.gender == "male"
    assert person.nationalities == ("VE",)
    assert person.citizenships == ("VE", "ES")
    assert person.countries == ("PA",)
    assert [(a.full, a.country) for a in person.addresses] == [
        ("1 Calle Uno, Caracas, Venezuela", "VE"),
        ("PO Box 9, Panama City, Panama", "PA"),
    ]
    assert [(i.type, i.value) for i in person.identifiers] == [
        ("passport", "P1234567"),
        ("passport", "P7654321"),
        ("national_id", "V-1234567"),
        ("tax_id", "J-123"),
        ("other", "A-99"),
    ]
    assert person.positions == ("Minister",)
    assert person.property_values("email") == ("nico@example.com",)
    assert person.remarks == ("Blocked after 2024 review",)
    assert [(d.authority, d.program, d.listed_on) for d in person.designations] == [
        ("Group Compliance", "FRAUD", "2024-05-01"),
        ("Group Compliance", "PEP-REVIEW", "2024-05-01"),
    ]
    assert company.schema is Schema.COMPANY
    assert company.countries == ("GB",)
    assert [(i.type, i.value) for i in company.identifiers] == [
        ("tax_id", "GB123456789"),
        ("swift_bic", "EXAMGB2L"),
    ]
    assert company.designations == ()
    assert vessel.schema is Schema.VESSEL
    assert [(i.type, i.value) for i in vessel.identifiers] == [("imo", "9123456")]
    (designation,) = vessel.designations
    assert (designation.authority, designation.program, designation.listed_on) == (
        "internal list",
        "SANCTIONS-WATCH",
        "2023-01-15",
    )
    assert parsed.warnings == ()


def test_minimal_file_defaults():
    parsed = _parse("name\nAcme Holdings\nJohn Smith\n")
    first, second = parsed.entities
    assert first.schema is Schema.LEGAL_ENTITY
    assert first.names[0].full == "Acme Holdings"
    assert first.designations == ()
    # no id column: a stable hash of name and schema
    again = _parse("name\nJohn Smith\nAcme  holdings\n")
    assert {e.id for e in again.entities} == {first.id, second.id}
    assert len(first.native_id) == 16


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters(delimiter: str):
    text = delimiter.join(["Name", "Aliases", "Type", "Birth Date", "Country"]) + "\n"
    text += delimiter.join(["Ana Pérez", "Ana P.|Anita", "Individual", "04/09/1962", "Spain"])
    (entity,) = _parse(text + "\n").entities
    assert entity.schema is Schema.PERSON
    assert [n.full for n in entity.names] == ["Ana Pérez", "Ana P.", "Anita"]
    assert entity.birth_dates == (DateValue("1962-09-04"),)  # day first
    assert entity.countries == ("ES",)


def test_bom_crlf_and_cp1252():
    text = "name;country\r\nJosé Ñúñez;México\r\n"
    for data in (b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("cp1252")):
        (entity,) = _parse(data).entities
        assert entity.caption == "José Ñúñez"
        assert entity.countries == ("MX",)


def test_unknown_columns_are_kept_as_remarks():
    parsed = _parse("name,Risk Score,remarks\nX Corp,high,seen in 2023\n")
    (entity,) = parsed.entities
    assert entity.remarks == ("seen in 2023", "Risk Score: high")
    assert any("Risk Score" in w for w in parsed.warnings)


def test_unknown_country_and_bad_dob_are_kept_with_warnings():
    parsed = _parse("name,nationality,dob\nY Person,Atlantis,sometime in the 60s\n")
    (entity,) = parsed.entities
    assert entity.nationalities == ("Atlantis",)
    assert entity.birth_dates == (DateValue(None, text="sometime in the 60s"),)
    assert len(parsed.warnings) == 2


def test_listed_on_without_program_still_records_the_listing():
    (entity,) = _parse("name,listed_on\nZ Ltd,2022-02-02\n").entities
    (designation,) = entity.designations
    assert (designation.program, designation.listed_on) == ("my_list", "2022-02-02")


# -- errors ----------------------------------------------------------------------------------


def test_missing_name_column():
    with pytest.raises(ParseError, match=r"list\.csv: the header has no 'name' column"):
        _parse("id,alias\n1,x\n")


def test_row_without_name():
    with pytest.raises(ParseError, match=r"list\.csv: row 3 has no name"):
        _parse("id,name\n1,Alpha\n2,\n")


def test_duplicate_ids_name_both_rows():
    with pytest.raises(ParseError, match=r"list\.csv: row 4 repeats id 'A1' already used on row 2"):
        _parse("id,name\nA1,Alpha\nB2,Beta\nA1,Gamma\n")


def test_duplicate_generated_ids():
    with pytest.raises(ParseError, match=r"row 3 repeats id .* row 2"):
        _parse("name,schema\nJohn Smith,Person\njohn  smith,person\n")


def test_unknown_schema():
    with pytest.raises(ParseError, match=r"row 2: unknown schema 'Vesel'"):
        _parse("name,schema\nX,Vesel\n")


def test_bad_listed_on():
    with pytest.raises(ParseError, match=r"row 2: listed_on 'last year' is not a date"):
        _parse("name,program,listed_on\nX,P,last year\n")


def test_row_wider_than_header():
    with pytest.raises(ParseError, match=r"row 2 has 3 cells but the header has 2"):
        _parse("name,country\nSmith, John,GB\n")


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_empty_file(data: bytes):
    with pytest.raises(ParseError, match=r"list\.csv: empty file"):
        _parse(data)


def test_utf16_rejected():
    with pytest.raises(ParseError, match=r"list\.csv: looks like UTF-16"):
        _parse("name\nX\n".encode("utf-16"))


def test_spreadsheet_handed_over_instead_of_csv(lists_dir):
    data = (lists_dir / "au_dfat" / "regulation8_consolidated-2024-12.xlsx").read_bytes()
    with pytest.raises(ParseError, match=r"list\.xlsx: "):
        _parse(data, "list.xlsx")
