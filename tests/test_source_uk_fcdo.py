from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from pathlib import Path

import pytest

from tamiz.model import DateValue, NameKind, ParseError, RelationKind, Schema, SourceFile
from tamiz.programs import catalogue
from tamiz.sources import FORMATS, uk_fcdo

ODS_NAME = "uk-sanctions-list-summary-2025-08-11.ods"


@pytest.fixture(scope="module")
def summary(lists_dir: Path):
    path = lists_dir / "gb_fcdo" / ODS_NAME
    started = time.perf_counter()
    parsed = uk_fcdo.parse([SourceFile(path.name, path.read_bytes())], "gb_fcdo")
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"parsing the FCDO summary ODS took {elapsed:.1f} s"
    return parsed


@pytest.fixture(scope="module")
def by_id(summary):
    return {e.id: e for e in summary.entities}


def test_both_format_ids_use_this_parser():
    assert FORMATS["uk-ods"].parser() is uk_fcdo.parse
    assert FORMATS["uk-csv"].parser() is uk_fcdo.parse


# -- the real summary export ---------------------------------------------------------------


def test_summary_counts(summary):
    assert len(summary.entities) == 5302
    schemas = [e.schema for e in summary.entities]
    assert schemas.count(Schema.PERSON) == 3754
    assert schemas.count(Schema.ORGANIZATION) == 1087
    assert schemas.count(Schema.VESSEL) == 461
    assert len({e.id for e in summary.entities}) == 5302


def test_summary_publication_date_from_content_timestamp(summary):
    assert summary.published == dt.date(2025, 8, 11)
    assert any("content timestamp" in w for w in summary.warnings)


def test_summary_entity_fully(by_id):
    entity = by_id["gb_fcdo:AFG0012"]
    assert entity.dataset == "gb_fcdo"
    assert entity.native_id == "AFG0012"
    assert entity.schema is Schema.PERSON
    # Double space in the file collapses; "SURNAME Given" split into parts.
    (name,) = entity.names
    assert name.full == "ABDUL ZAHIR Shams Ur-Rahman"
    assert name.kind is NameKind.PRIMARY
    assert name.last_name == "ABDUL ZAHIR"
    assert name.first_name == "Shams Ur-Rahman"
    (designation,) = entity.designations
    assert designation.authority == "UK Foreign, Commonwealth & Development Office"
    assert designation.program == "Afghanistan"
    assert designation.legal_basis == "The Afghanistan (Sanctions) (EU Exit) Regulations 2020"
    assert designation.listed_on == "2001-02-23"
    assert designation.source_ref == "AFG0012"
    assert designation.topics == ("sanction",)
    assert designation.kind == "sanction"
    assert entity.remarks == (
        "Designation source: UN",
        "Sanctions imposed: Asset freeze, Travel Ban",
    )
    assert entity.property_values("ofsiGroupId") == ("7532",)
    assert entity.birth_dates == () and entity.addresses == ()


def test_summary_ship_and_entity(by_id):
    ship = by_id["gb_fcdo:DPR0075"]
    assert ship.schema is Schema.VESSEL
    assert ship.caption == "Petrel 8"
    assert ship.designations[0].listed_on == "2017-10-03"
    # A blank OFSI Group ID cell leaves no property behind.
    assert ship.property_values("ofsiGroupId") == ()
    group = by_id["gb_fcdo:CTD0006"]
    assert group.schema is Schema.ORGANIZATION
    assert group.caption == "Blood and Honour"


def test_every_regime_in_the_summary_is_in_the_catalogue(summary):
    regimes = {d.program for e in summary.entities for d in e.designations}
    assert len(regimes) == 31
    known = catalogue("gb_fcdo")
    assert {r.upper() for r in regimes} <= set(known)
    assert all(d.legal_basis for e in summary.entities for d in e.designations)
    assert not any("not in the gb_fcdo program catalogue" in w for w in summary.warnings)


def test_regime_authorities_and_topics(by_id):
    domestic = by_id["gb_fcdo:CTD0006"].designations[0]
    assert domestic.authority == "HM Treasury, Office of Financial Sanctions Implementation"
    assert domestic.legal_basis == "The Counter-Terrorism (Sanctions) (EU Exit) Regulations 2019"
    assert "crime.terror" in domestic.topics
    russia = by_id["gb_fcdo:RUS0001"].designations[0]
    assert russia.legal_basis == "The Russia (Sanctions) (EU Exit) Regulations 2019"
    assert russia.authority == "UK Foreign, Commonwealth & Development Office"
    isil = next(e for i, e in by_id.items() if i.startswith("gb_fcdo:AQD")).designations[0]
    assert isil.program == "ISIL (Da'esh) and Al-Qaida"
    assert set(isil.topics) == {"sanction", "crime.terror"}


def test_summary_rows_without_a_name_are_kept_and_reported(summary, by_id):
    for uid in ("BEL0174", "RUS1467"):
        entity = by_id[f"gb_fcdo:{uid}"]
        assert entity.names == ()
        assert entity.designations, "the designation itself must not be lost"
        assert any(uid in w and "no name" in w for w in summary.warnings)


# -- ODS reader details (tiny spreadsheets written here) -----------------------------------

_ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
    "<office:spreadsheet>"
)
_ODS_TAIL = "</office:spreadsheet></office:body></office:document-content>"
_SUMMARY_HEADER = (
    "<table:table-row>"
    + "".join(
        f"<table:table-cell><text:p>{h}</text:p></table:table-cell>"
        for h in (
            "Unique ID",
            "OFSI Group ID",
            "Name",
            "Regime Name",
            "Type",
            "Designation source",
            "Date Designated",
            "Sanctions Imposed",
        )
    )
    + "</table:table-row>"
)


def _cell(text: str, repeat: int = 1) -> str:
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-cell{rep}><text:p>{text}</text:p></table:table-cell>"


def _ods(tables_xml: str, mimetype: str = uk_fcdo.ODS_MIMETYPE) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", _ODS_HEAD + tables_xml + _ODS_TAIL)
    return buffer.getvalue()


def test_ods_repeats_spaces_covered_and_typed_cells():
    row = (
        "<table:table-row>"
        + _cell("TST0001")
        + '<table:table-cell office:value-type="float" office:value="123"'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">'
        "<text:p>123</text:p></table:table-cell>"
        # "Doe<2 spaces>John" written with text:s, split across a span and a line break
         + '<table:table-cell><text:p>DOE<text:s text:c="2"/><text:span>John</text:span>'
        "</text:p></table:table-cell>"
        + _cell("Russia")
        + _cell("Individual")
        + "<table:covered-table-cell/>"
        + '<table:table-cell office:value-type="date" office:date-value="2022-03-15"'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0">'
        "<text:p>15/03/2022</text:p></table:table-cell>"
        + _cell("Asset freeze")
        + '<table:table-cell table:number-columns-repeated="16000"/>'
        + "</table:table-row>"
    )
    twice = (
        '<table:table-row table:number-rows-repeated="2">'
        + _cell("TST0002")
        + _cell("")
        + _cell("SAME NAME")
        + _cell("Syria", repeat=1)
        + _cell("Entity")
        + _cell("UK", repeat=1)
        + _cell("01-02-2021")
        + "</table:table-row>"
    )
    filler = (
        '<table:table-row table:number-rows-repeated="1048000">'
        "<table:table-cell/></table:table-row>"
    )
    body = _SUMMARY_HEADER + row + twice + filler
    xml = f'<table:table table:name="UK_Sanction_List">{body}</table:table>'
    parsed = uk_fcdo.parse([SourceFile("tiny.ods", _ods(xml))], "gb_fcdo")
    first, second = parsed.entities
    assert first.id == "gb_fcdo:TST0001"
    assert first.caption == "DOE John"
    assert first.property_values("ofsiGroupId") == ("123",)
    # The covered cell still occupies the "Designation source" column.
    assert not any(r.startswith("Designation source") for r in first.remarks)
    assert first.designations[0].listed_on == "2022-03-15"
    # A repeated row is one designation, not two.
    assert second.id == "gb_fcdo:TST0002" and len(second.names) == 1
    assert second.designations[0].listed_on == "2021-02-01"
    assert second.schema is Schema.ORGANIZATION


def test_ods_repeated_value_cells_fill_columns():
    row = (
        "<table:table-row>"
        + _cell("TST0003")
        + _cell("9")
        + _cell("X", repeat=1)
        + _cell("Iran")
        + _cell("Individual")
        + _cell("UK")
        + _cell("01-01-2020", repeat=2)  # date designated and sanctions imposed, same text
        + "</table:table-row>"
    )
    xml = f'<table:table table:name="Sheet1">{_SUMMARY_HEADER}{row}</table:table>'
    (entity,) = uk_fcdo.parse([SourceFile("rep.ods", _ods(xml))], "gb_fcdo").entities
    assert entity.designations[0].listed_on == "2020-01-01"
    assert "Sanctions imposed: 01-01-2020" in entity.remarks


# -- full list CSV ----------------------------------------------------------------------------

# Built from the FCDO's published description of UK-Sanctions-List.csv (a "Report Date" line,
# then one row per name grouped by Unique ID, names split into Name 1-5 and Name 6); no real
# copy of the full CSV is available offline. Values are invented.
_FULL_HEADER = [
    "Last Updated", "Unique ID", "OFSI Group ID", "UN Reference Number", "Name 6", "Name 1",
    "Name 2", "Name 3", "Name 4", "Name 5", "Name type", "Alias strength", "Title",
    "Name non-latin script", "Non-latin script type", "Non-latin script language",
    "Entity type", "Regime name", "Designation source", "Date designated", "Sanctions imposed",
    "Other information", "UK Statement of Reasons", "Address Line 1", "Address Line 2",
    "Address Line 3", "Address Line 4", "Address Line 5", "Address Line 6",
    "Address Postal Code", "Address Country", "Phone number", "Website", "Email address",
    "D.O.B", "Nationality(/ies)", "National Identifier number",
    "National Identifier additional information", "Passport number",
    "Passport additional information", "Position", "Gender", "Town of birth",
    "Country of birth", "Type of entity", "Subsidiaries", "Parent company",
    "Business registration number (s)", "IMO number", "Current owner/operator (s)",
    "Previous owner/operator (s)", "Current believed flag of ship", "Previous flags",
    "Type of ship", "Tonnage of ship", "Length of ship", "Year Built",
    "Hull identification number (HIN)",
]  # fmt: skip


def _full_row(**values: str) -> list[str]:
    keys = {h: h.lower() for h in _FULL_HEADER}
    row = []
    for header in _FULL_HEADER:
        key = "".join(ch for ch in keys[header] if ch.isalnum())
        row.append(values.get(key, ""))
    return row


def _full_csv(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    import csv

    out = io.StringIO()
    out.write("Report Date: 11-Aug-2025\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or _FULL_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


PERSON = dict(
    lastupdated="01/03/2024",
    uniqueid="RUS9001",
    ofsigroupid="99001",
    name6="IVANOV",
    name1="Ivan",
    name2="Ivanovich",
    title="Dr",
    entitytype="Individual",
    regimename="Russia",
    designationsource="UK",
    datedesignated="15/03/2022",
    sanctionsimposed="Asset freeze, Travel Ban",
    otherinformation="Example other information",
    ukstatementofreasons="Example reasons",
    dob="(1) 12/05/1965 (2) 00/00/1966",
    nationalityies="(1) Russia (2) Ukraine",
    passportnumber="(1) 7512345 (2) 7600001",
    passportadditionalinformation="(1) Russian (2) Russian, expired",
    nationalidentifiernumber="770012345678",
    nationalidentifieradditionalinformation="Russian tax number",
    position="(1) Director (2) Board member",
    gender="Male",
    townofbirth="Moscow",
    countryofbirth="Russia",
    phonenumber="+7 495 000 0000",
    emailaddress="ivanov@example.ru",
    addressline1="1 Example Street",
    addressline2="Moscow",
    addresspostalcode="101000",
    addresscountry="Russia",
)


def _full_rows() -> list[list[str]]:
    return [
        _full_row(**PERSON, nametype="Primary name"),
        # second address of the same designated person, repeated on a name row
        _full_row(
            **{**PERSON, "addressline1": "2 Other Road", "addressline2": "Sochi",
               "addresspostalcode": "354000"},
            nametype="Primary name",
        ),
        _full_row(**{**PERSON, "name1": "Iwan"}, nametype="Primary name variation"),
        _full_row(**{**PERSON, "name6": "IVANOFF", "name2": ""}, nametype="Alias",
                  aliasstrength="Good quality"),
        _full_row(**{**PERSON, "name6": "VANYA", "name1": "", "name2": ""}, nametype="Alias",
                  aliasstrength="Low quality"),
        _full_row(**{**PERSON, "namenonlatinscript": "Иван Иванович ИВАНОВ",
                     "nonlatinscripttype": "Cyrillic", "nonlatinscriptlanguage": "Russian"},
                  nametype="Primary name"),
        _full_row(
            lastupdated="02/04/2024", uniqueid="RUS9002", name6="Example Trading LLC",
            entitytype="Entity", regimename="Russia", designationsource="UK",
            datedesignated="24/02/2023", typeofentity="Limited Liability Company",
            parentcompany="Example Holding JSC", subsidiaries="(1) Sub One (2) Sub Two",
            businessregistrationnumbers="1027700000000", website="www.example.ru",
            addressline1="3 Trade Lane", addresscountry="Russia", nametype="Primary name",
        ),
        _full_row(
            uniqueid="RUS9003", name6="OCEAN EXAMPLE", entitytype="Ship",
            regimename="Russia", designationsource="UK", datedesignated="09/05/2025",
            imonumber="9123456", currentbelievedflagofship="Gabon",
            previousflags="(1) Panama (2) Liberia", typeofship="Crude Oil Tanker",
            tonnageofship="81000", lengthofship="244", yearbuilt="2004",
            currentowneroperators="Example Shipping Ltd", previousowneroperators="Old Owner Inc",
            hullidentificationnumberhin="", nametype="Primary name",
        ),
        _full_row(
            uniqueid="AQD9001", unreferencenumber="QDi.999", name6="AL-EXAMPLE", name1="Abu",
            entitytype="Individual", regimename="ISIL (Da'esh) and Al-Qaida",
            designationsource="UN", datedesignated="01/01/2010", nametype="Primary name",
        ),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def full():
    data = _full_csv(_full_rows())
    return uk_fcdo.parse([SourceFile("UK-Sanctions-List.csv", data)], "gb_fcdo")


def test_full_csv_groups_names_by_unique_id(full):
    assert [e.id for e in full.entities] == [
        "gb_fcdo:RUS9001",
        "gb_fcdo:RUS9002",
        "gb_fcdo:RUS9003",
        "gb_fcdo:AQD9001",
    ]
    assert full.published == dt.date(2025, 8, 11)


def test_full_csv_person(full):
    person = full.entities[0]
    assert person.schema is Schema.PERSON
    kinds = {n.full: n.kind for n in person.names}
    assert kinds == {
        "Ivan Ivanovich IVANOV": NameKind.PRIMARY,
        "Iwan Ivanovich IVANOV": NameKind.AKA,
        "Ivan IVANOFF": NameKind.AKA,
        "VANYA": NameKind.WEAK,
        "Иван Иванович ИВАНОВ": NameKind.NATIVE,
    }
    primary = person.names[0]
    assert (primary.first_name, primary.middle_name, primary.last_name, primary.title) == (
        "Ivan",
        "Ivanovich",
        "IVANOV",
        "Dr",
    )
    native = next(n for n in person.names if n.kind is NameKind.NATIVE)
    assert native.lang == "ru"
    assert person.birth_dates == (DateValue("1965-05-12"), DateValue("1966"))
    assert person.nationalities == ("RU", "UA")
    assert person.gender == "male"
    assert person.birth_places == ("Moscow, Russia",)
    assert person.positions == ("Director", "Board member")
    passports = [(i.value, i.note) for i in person.identifiers if i.type == "passport"]
    assert passports == [("7512345", "Russian"), ("7600001", "Russian, expired")]
    national = [i for i in person.identifiers if i.type == "national_id"]
    assert [(i.value, i.note) for i in national] == [("770012345678", "Russian tax number")]
    assert [a.full for a in person.addresses] == [
        "1 Example Street, Moscow, 101000, Russia",
        "2 Other Road, Sochi, 354000, Russia",
    ]
    assert {a.country for a in person.addresses} == {"RU"}
    assert person.property_values("phone") == ("+7 495 000 0000",)
    assert person.property_values("email") == ("ivanov@example.ru",)
    assert person.property_values("modifiedAt") == ("2024-03-01",)
    assert "Example other information" in person.remarks
    assert "UK statement of reasons: Example reasons" in person.remarks
    (designation,) = person.designations
    assert designation.listed_on == "2022-03-15"
    assert designation.legal_basis == "The Russia (Sanctions) (EU Exit) Regulations 2019"


def test_full_csv_entity_and_ship(full):
    company, ship = full.entities[1], full.entities[2]
    assert company.schema is Schema.ORGANIZATION
    assert company.property_values("legalForm") == ("Limited Liability Company",)
    assert company.property_values("website") == ("www.example.ru",)
    assert [(i.type, i.value) for i in company.identifiers] == [("registration", "1027700000000")]
    relations = {(r.kind, r.target_name) for r in company.relations}
    assert relations == {
        (RelationKind.OWNED_BY, "Example Holding JSC"),
        (RelationKind.LINKED_TO, "Sub One"),
        (RelationKind.LINKED_TO, "Sub Two"),
    }
    assert ship.schema is Schema.VESSEL
    assert [(i.type, i.value) for i in ship.identifiers] == [("imo", "9123456")]
    assert ship.property_values("flag") == ("GA",)
    assert ship.property_values("pastFlags") == ("PA", "LR")
    assert ship.property_values("type") == ("Crude Oil Tanker",)
    assert ship.property_values("tonnage") == ("81000",)
    assert ship.property_values("buildDate") == ("2004",)
    owners = {(r.kind, r.target_name, r.note) for r in ship.relations}
    assert (RelationKind.OWNED_BY, "Example Shipping Ltd", "current owner/operator") in owners


def test_full_csv_un_reference(full):
    un = full.entities[3]
    assert un.property_values("unscId") == ("QDi.999",)
    assert "Designation source: UN" in un.remarks
    assert "crime.terror" in un.designations[0].topics


def test_full_csv_tolerates_column_order_and_missing_columns():
    # Reversed columns, most of them absent, plus a column this parser does not know.
    header = ["Extra column", "Regime name", "Name type", "Name 1", "Name 6", "Unique ID"]
    rows = [
        ["note A", "Syria", "Primary name", "Bashar", "AL-EXAMPLE", "SYR9001"],
        ["", "Syria", "Alias", "", "B. AL-EXAMPLE", "SYR9001"],
    ]
    parsed = uk_fcdo.parse([SourceFile("x.csv", _full_csv(rows, header))], "gb_fcdo")
    (entity,) = parsed.entities
    assert [n.full for n in entity.names] == ["Bashar AL-EXAMPLE", "B. AL-EXAMPLE"]
    assert "Extra column: note A" in entity.remarks
    assert any("Extra column" in w for w in parsed.warnings)
    assert entity.schema is Schema.LEGAL_ENTITY  # no entity type column
    assert entity.designations[0].program == "Syria"


def test_unknown_regime_is_kept_with_warning():
    rows = [["NEW0001", "Someone", "Newland", "Individual"]]
    data = _full_csv(rows, ["Unique ID", "Name", "Regime", "Type"])
    parsed = uk_fcdo.parse([SourceFile("n.csv", data)], "gb_fcdo")
    (designation,) = parsed.entities[0].designations
    assert designation.program == "Newland"
    assert designation.authority == "UK Foreign, Commonwealth & Development Office"
    assert designation.legal_basis is None
    assert any("Newland" in w for w in parsed.warnings)


# -- bad input --------------------------------------------------------------------------------


def test_truncated_ods(lists_dir: Path):
    data = (lists_dir / "gb_fcdo" / ODS_NAME).read_bytes()
    with pytest.raises(ParseError, match=r"cut\.ods: .*(truncated|corrupt)"):
        uk_fcdo.parse([SourceFile("cut.ods", data[: len(data) // 2])], "gb_fcdo")


def test_xlsx_handed_to_the_uk_parser(lists_dir: Path):
    data = (lists_dir / "au_dfat" / "regulation8_consolidated-2024-12.xlsx").read_bytes()
    with pytest.raises(ParseError, match=r"dfat\.xlsx: .*not an OpenDocument.*XLSX"):
        uk_fcdo.parse([SourceFile("dfat.xlsx", data)], "gb_fcdo")


def test_other_list_handed_to_the_uk_parser(lists_dir: Path):
    data = (lists_dir / "us_bis_dpl" / "dpl-2022-09.txt").read_bytes()
    with pytest.raises(ParseError, match=r"dpl\.txt: not a UK Sanctions List file"):
        uk_fcdo.parse([SourceFile("dpl.txt", data)], "gb_fcdo")


def test_utf16_csv_rejected():
    data = "Unique ID,Name\r\nRUS0001,X\r\n".encode("utf-16")
    with pytest.raises(ParseError, match=r"u16\.csv: .*UTF-16"):
        uk_fcdo.parse([SourceFile("u16.csv", data)], "gb_fcdo")


def test_cp1252_csv_read():
    data = "Unique ID,Name,Regime,Type\r\nRUS0001,Nicolás Ñandú,Russia,Individual\r\n"
    parsed = uk_fcdo.parse([SourceFile("w.csv", data.encode("cp1252"))], "gb_fcdo")
    assert parsed.entities[0].caption == "Nicolás Ñandú"


@pytest.mark.parametrize("data", [b"", b"  \r\n"])
def test_empty_file(data: bytes):
    with pytest.raises(ParseError, match=r"empty\.csv: empty file"):
        uk_fcdo.parse([SourceFile("empty.csv", data)], "gb_fcdo")


def test_header_only():
    with pytest.raises(ParseError, match="no designations"):
        uk_fcdo.parse([SourceFile("h.csv", b"Unique ID,Name\r\n")], "gb_fcdo")


def test_row_without_unique_id():
    data = b"Unique ID,Name\r\nRUS0001,A\r\n,B\r\n"
    with pytest.raises(ParseError, match=r"r\.csv: row 3 has no Unique ID"):
        uk_fcdo.parse([SourceFile("r.csv", data)], "gb_fcdo")


def test_ods_without_list_sheet():
    xml = (
        '<table:table table:name="Other">'
        + "<table:table-row>"
        + _cell("x")
        + ("</table:table-row></table:table>")
    )
    with pytest.raises(ParseError, match=r"o\.ods: no sheet with a 'Unique ID' column"):
        uk_fcdo.parse([SourceFile("o.ods", _ods(xml))], "gb_fcdo")


def test_zip_that_is_not_a_spreadsheet():
    with pytest.raises(ParseError, match=r"z\.ods: .*not an OpenDocument spreadsheet"):
        uk_fcdo.parse([SourceFile("z.ods", _ods("", mimetype="application/zip"))], "gb_fcdo")


def test_xml_bomb_in_content_is_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><x>&lol2;</x>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", uk_fcdo.ODS_MIMETYPE)
        archive.writestr("content.xml", bomb)
    with pytest.raises(ParseError, match=r"b\.ods:content\.xml: .*DTD"):
        uk_fcdo.parse([SourceFile("b.ods", buffer.getvalue())], "gb_fcdo")
