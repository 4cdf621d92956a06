"""EU Financial Sanctions File XML 1.1 against the 17-entity excerpt of a real export."""

from __future__ import annotations

import datetime as dt
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
from tamiz.sources import FORMATS, eu_fsf

FILE = "fsf-excerpt-2026-08-05.xml"


@pytest.fixture(scope="module")
def raw(lists_dir: Path) -> bytes:
    return (lists_dir / "eu_fsf" / FILE).read_bytes()


@pytest.fixture(scope="module")
def parsed(raw: bytes):
    return eu_fsf.parse([SourceFile(FILE, raw)], "eu_fsf")


@pytest.fixture(scope="module")
def entities(parsed):
    return {e.id: e for e in parsed.entities}


def test_registered_format() -> None:
    assert FORMATS["eu-fsf-xml"].parser() is eu_fsf.parse


def test_counts(parsed) -> None:
    assert len(parsed.entities) == 17
    assert sum(e.schema is Schema.PERSON for e in parsed.entities) == 10
    assert sum(e.schema is Schema.ORGANIZATION for e in parsed.entities) == 7
    assert sum(len(e.names) for e in parsed.entities) == 45  # every nameAlias kept
    assert parsed.published == dt.date(2026, 8, 5)
    assert all(
        len([n for n in e.names if n.kind is NameKind.PRIMARY]) == 1 for e in parsed.entities
    )
    # every designation is an EU one whose programme is in the catalogue
    for entity in parsed.entities:
        for designation in entity.designations:
            assert designation.authority == "European Union"
            assert designation.program in catalogue("eu_fsf")
            assert designation.listed_on and designation.legal_basis


def test_original_scripts_kept_with_language(parsed, entities) -> None:
    arabic = [n for e in parsed.entities for n in e.names if eu_fsf._script(n.full) == "arabic"]
    assert len(arabic) == 4 and all(n.lang == "ar" for n in arabic)
    assert Name("عبد المنان آغا", NameKind.AKA, lang="ar") in entities["eu_fsf:EU.367.96"].names
    sidorov = entities["eu_fsf:EU.2797.3"]
    cyrillic = next(n for n in sidorov.names if n.full == "Анатолий Алексеевич СИДОРОВ")
    # the FSF tags this Cyrillic name "EN": the contradiction is dropped and reported
    assert cyrillic.lang is None
    assert any("EU.2797.3" in w and "cyrillic" in w for w in parsed.warnings)
    qusay = Name(
        "Qoussaï Saddam Hussein Al-Tikriti",
        NameKind.AKA,
        lang="fr",
        first_name="Qoussaï",
        middle_name="Saddam",
        last_name="Hussein Al-Tikriti",
    )
    assert qusay in entities["eu_fsf:EU.39.56"].names


def test_fully_checked_entity(entities) -> None:
    asiri = entities["eu_fsf:EU.3092.36"]
    assert asiri.schema is Schema.PERSON
    assert asiri.names[0] == Name("Ibrahim al-'Asiri", NameKind.PRIMARY, lang="en")
    assert len(asiri.names) == 15
    weak = {n.full for n in asiri.names if n.kind is NameKind.WEAK}
    assert weak == {"Abu-Salaah", "Abosslah", "Abu Saleh"}  # remarked "low quality alias"
    assert asiri.citizenships == ("SA",)
    assert asiri.birth_dates == (
        DateValue("1982-04-18"),
        DateValue("1982-04-19", text="1402-06-24 (islamic calendar)"),
        DateValue("1982-04-19"),
    )
    assert asiri.birth_places == ("Riyadh, SAUDI ARABIA",)
    assert asiri.addresses == (Address(full="YEMEN", country="YE", country_name="YEMEN"),)
    assert asiri.identifiers[0] == Identifier(
        "national_id",
        "1028745097",
        country="SA",
        label="National identification card",
        note="(national civil identification number)",
    )
    passport = asiri.identifiers[1]
    assert (passport.type, passport.value, passport.country) == ("passport", "F654645", "SA")
    assert passport.note.startswith("known expired; issued 2005-04-30; valid to 2010-03-07")
    assert asiri.positions == (
        "Operative and principal bomb maker of Al-Qaida in the Arabian Peninsula (AQAP)",
    )
    assert asiri.designations == (
        Designation(
            authority="European Union",
            program="TAQA",
            program_title="ISIL (Da'esh) and Al-Qaida (UN listings)",
            legal_basis="2023/329 (OJ L43I)",
            listed_on="2011-03-24",
            source_ref="https://eur-lex.europa.eu/legal-content/EN/TXT/"
            "?uri=uriserv%3AOJ.LI.2023.043.01.0001.01.ENG&toc",
            topics=("sanction", "crime.terror"),
        ),
    )
    assert any(r.startswith("Believed to be hiding in Yemen") for r in asiri.remarks)
    assert "good quality alias" not in asiri.remarks  # grading went into the name kind


def test_dates_kept_as_stated(entities) -> None:
    soleimani = entities["eu_fsf:EU.6131.26"]
    assert DateValue(None, text="1343 (islamic calendar)") in soleimani.birth_dates
    assert {d.value for d in soleimani.birth_dates} == {"1965", "1964", None}
    thein = entities["eu_fsf:EU.10436.68"]
    assert thein.birth_dates == (DateValue("1960", end="1979", text="1960 to 1979"),)
    assert entities["eu_fsf:EU.2909.48"].birth_dates == (DateValue("1960"), DateValue("1961-08"))


def test_listing_dates_and_other_details(entities) -> None:
    # no designationDate: the original 2003 regulation entered into force on 7 July 2003
    assert entities["eu_fsf:EU.27.28"].designations[0].listed_on == "2003-07-07"
    assert entities["eu_fsf:EU.4801.12"].designations[0].listed_on == "2018-11-29"
    assert entities["eu_fsf:EU.4801.12"].property_values("unscId") == ("LYi.28",)
    sovcombank = entities["eu_fsf:EU.8060.95"]
    assert Name("Buycombank", NameKind.FORMER) in sovcombank.names
    assert {(i.type, i.value) for i in sovcombank.identifiers} == {
        ("tax_id", "4401116480"),
        ("registration", "1144400000425"),
    }
    congomet = entities["eu_fsf:EU.3672.18"]
    assert congomet.property_values("phone") == ("+253 (0) 99 983 784",)
    assert congomet.addresses[0].country == "CD"
    taghtiran = entities["eu_fsf:EU.2417.3"]
    assert taghtiran.identifiers == ()  # number "-": no document, its remark is kept
    assert "Place of registration: Tehran, Iran" in taghtiran.remarks


def test_strong_false_is_a_weak_alias(raw: bytes) -> None:
    # edited copy: the real excerpt has only strong="true" aliases
    alias = b'wholeName="Abu Ali" function="" title="" nameLanguage="" strong='
    edited = raw.replace(alias + b'"true"', alias + b'"false"')
    assert edited != raw
    saddam = eu_fsf.parse([SourceFile("edited.xml", edited)], "eu_fsf").entities[0]
    assert Name("Abu Ali", NameKind.WEAK) in saddam.names


def _edit_copy(raw: bytes) -> bytes:
    """A second version of the file, made by editing a copy: EU.2417.3 removed, Saddam
    Hussein's date of birth changed, an alias added to Salah Badi."""
    text = raw.decode()
    start = text.index('<sanctionEntity designationDate="2011-05-23"')
    end = text.index("</sanctionEntity>", start) + len("</sanctionEntity>")
    text = text[:start] + text[end:]
    dob = 'birthdate="1937-04-{0}" dayOfMonth="{0}"'
    text = text.replace(dob.format(28), dob.format(29))
    badi = 'wholeName="Salah Badi"'
    alias = (
        '<nameAlias firstName="" middleName="" lastName="" wholeName="Salah Badi al-Misrati" '
        'function="" title="" nameLanguage="" strong="true" regulationLanguage="en" '
        'logicalId="999999"/>\n'
    )
    at = text.index("</nameAlias>", text.index(badi)) + len("</nameAlias>\n")
    return (text[:at] + alias + text[at:]).encode()


def test_two_versions_differ_exactly_where_edited(raw: bytes, parsed) -> None:
    second = eu_fsf.parse([SourceFile("edited.xml", _edit_copy(raw))], "eu_fsf")
    before = {e.id: e.fingerprint() for e in parsed.entities}
    after = {e.id: e.fingerprint() for e in second.entities}
    assert set(before) - set(after) == {"eu_fsf:EU.2417.3"}
    assert set(after) - set(before) == set()
    changed = {i for i in after if after[i] != before[i]}
    assert changed == {"eu_fsf:EU.27.28", "eu_fsf:EU.4801.12"}
    badi = next(e for e in second.entities if e.id == "eu_fsf:EU.4801.12")
    assert Name("Salah Badi al-Misrati", NameKind.AKA) in badi.names
    saddam = next(e for e in second.entities if e.id == "eu_fsf:EU.27.28")
    assert saddam.birth_dates == (DateValue("1937-04-29"),)


def test_utf16_copy_parses_the_same(raw: bytes, parsed) -> None:
    # XML names its own encoding (here by byte order mark), so UTF-16 is valid XML
    again = eu_fsf.parse([SourceFile("utf16.xml", raw.decode().encode("utf-16"))], "eu_fsf")
    assert again.entities == parsed.entities


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("empty.xml", lambda raw: b"", "empty"),
        ("cut.xml", lambda raw: raw[: len(raw) // 2], "malformed XML"),
        ("other.xml", lambda raw: b"<sanctions><entry/></sanctions>", "expected <export>"),
        ("bare.xml", lambda raw: b'<export generationDate="2026-01-01"/>', "no sanctionEntity"),
        ("ftm.json", lambda raw: b'{"id": "x", "schema": "Person"}', "malformed XML"),
    ],
)
def test_bad_input(raw: bytes, name: str, make, message: str) -> None:
    with pytest.raises(ParseError, match=message) as info:
        eu_fsf.parse([SourceFile(name, make(raw))], "eu_fsf")
    assert name in str(info.value)
