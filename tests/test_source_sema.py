"""Canada SEMA consolidated list (sema-xml) against lists/ca_sema/sema-lmes-2020-04.xml."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tamiz.model import DateValue, Entity, NameKind, ParsedList, ParseError, Schema, SourceFile
from tamiz.programs import catalogue
from tamiz.sources import FORMATS, sema


@pytest.fixture(scope="module")
def parsed(lists_dir: Path) -> ParsedList:
    path = lists_dir / "ca_sema" / "sema-lmes-2020-04.xml"
    return sema.parse([SourceFile(path.name, path.read_bytes())], "ca_sema")


@pytest.fixture(scope="module")
def by_id(parsed: ParsedList) -> dict[str, Entity]:
    return {e.native_id: e for e in parsed.entities}


def test_registry_points_here() -> None:
    assert FORMATS["sema-xml"].parser() is sema.parse


def test_counts(parsed: ParsedList) -> None:
    assert len(parsed.entities) == 1369
    assert len({e.id for e in parsed.entities}) == 1369
    assert parsed.warnings == ()
    assert parsed.published is None  # the file does not say when it was published
    schemas = Counter(e.schema for e in parsed.entities)
    assert schemas[Schema.PERSON] == 985
    assert schemas[Schema.COMPANY] + schemas[Schema.ORGANIZATION] == 384
    programs = Counter(e.programs[0] for e in parsed.entities)
    assert programs == {
        "SYRIA": 281, "UKRAINE": 242, "IRAN": 202, "RUSSIA": 197, "ZIMBABWE": 181,
        "VENEZUELA": 96, "BURMA": 89, "JVCFOR": 70, "NICARAGUA": 9, "SOUTH_SUDAN": 2,
    }  # fmt: skip


def test_every_regime_in_catalogue(parsed: ParsedList) -> None:
    programs = catalogue("ca_sema")
    for entity in parsed.entities:
        (designation,) = entity.designations
        info = programs[designation.program]
        assert designation.authority == "Global Affairs Canada"
        assert designation.legal_basis == info.legal_basis
    assert programs["VENEZUELA"].legal_basis == (
        "Special Economic Measures Act; Special Economic Measures (Venezuela) Regulations"
    )
    assert "Justice for Victims of Corrupt Foreign Officials Act" in (
        programs["JVCFOR"].legal_basis or ""
    )


def test_maduro(parsed: ParsedList, by_id: dict[str, Entity]) -> None:
    maduro = by_id["VENEZUELA-1"]
    assert maduro.id == "ca_sema:VENEZUELA-1"
    assert maduro.schema is Schema.PERSON
    name = maduro.names[0]
    assert (name.full, name.first_name, name.last_name) == (
        "Nicolás MADURO MOROS",
        "Nicolás",
        "MADURO MOROS",
    )
    (designation,) = maduro.designations
    assert (designation.program, designation.program_title) == ("VENEZUELA", "Venezuela sanctions")
    assert designation.source_ref == "Venezuela, item 1"
    # He is also listed under the Magnitsky-style regulations, as a separate record.
    also = [e for e in parsed.entities if "MADURO MOROS" in e.caption and e.programs == ("JVCFOR",)]
    assert [e.native_id for e in also] == ["JVCFOR-S1-1"]


def test_ids_from_regime_schedule_and_item(by_id: dict[str, Entity]) -> None:
    assert sema.native_id("Burma / Birmanie", "2", "17") == "BURMA-S2-17"
    assert sema.native_id("Russia / Russie", "1, Part 2", "5") == "RUSSIA-S1P2-5"
    assert sema.native_id("Venezuela ", "N/A", "1") == sema.native_id("Venezuela", None, "1")
    assert by_id["RUSSIA-S1P2-5"].designations[0].source_ref == "Russia, Schedule 1, Part 2, item 5"
    # Schedules 1 and 2 both start at item 1: the schedule is part of the id.
    assert by_id["BURMA-S1-1"].caption == "Air Bagan"
    assert by_id["BURMA-S2-1"].schema is Schema.PERSON


def test_entities_and_bilingual_names(by_id: dict[str, Entity]) -> None:
    irgc = by_id["IRAN-S1-136"]
    assert irgc.caption == "Islamic Revolutionary Guard Corps"
    names = {n.full: n for n in irgc.names}
    assert names["Corps des Gardiens de la Révolution islamique"].lang == "fra"
    assert {"IRGC", "Sepah-e Pasdaran-e Enghelab-e Eslami", "GRI"} <= set(names)
    # A slash inside brackets is not a language split.
    assert by_id["BURMA-S1-16"].caption == "MEC Steel Mills (Hmaw Bi/Pyi/Ywama)"
    assert by_id["BURMA-S1-21"].schema is Schema.COMPANY  # "Myanma Foreign Trade Bank"
    assert by_id["UKRAINE-S1P2-21"].schema is Schema.ORGANIZATION  # "Cossack National Guard"


def test_alias_splitting() -> None:
    # Commas separate aliases, but a legal form after a comma belongs to the name before it.
    assert sema.split_aliases("Kingly Won International Co., Ltd, Kingly Won") == [
        "Kingly Won International Co., Ltd",
        "Kingly Won",
    ]
    assert sema.split_aliases("Air Bagan Holdings Pte. Ltd., Air Bagan Limited") == [
        "Air Bagan Holdings Pte. Ltd.",
        "Air Bagan Limited",
    ]
    assert sema.split_aliases("(Rosselkhozbank)") == ["Rosselkhozbank"]
    assert sema.split_aliases("GORT/ORTAS") == ["GORT", "ORTAS"]
    assert sema.split_aliases(None) == []


def test_person_alias_fragments_are_completed(by_id: dict[str, Entity]) -> None:
    # "AKIMOV, Andrey Igorevich" with alias "Andrei" -> "Andrei Igorevich AKIMOV"
    akimov = {n.full: n for n in by_id["RUSSIA-S1-94"].names}
    assert akimov["Andrei Igorevich AKIMOV"].kind is NameKind.AKA
    assert akimov["Andrei Igorevich AKIMOV"].note == "given-name spelling 'Andrei'"
    assert "Andrei" not in akimov
    # "SALYAEV, Aleksey Mikhailovich": "Aleksei, Oleksii SALYAYEV, SALIAIEV"
    salyaev = [n.full for n in by_id["RUSSIA-S1-112"].names]
    assert salyaev == [
        "Aleksey Mikhailovich SALYAEV",
        "Aleksei Mikhailovich SALYAEV",
        "Oleksii SALYAYEV",
        "Aleksey Mikhailovich SALIAIEV",
    ]
    # A nom de guerre stays as published, and alone it is only a weak alias.
    dremov = {n.full: n.kind for n in by_id["UKRAINE-S1-69"].names}
    assert dremov == {
        "Pavel DREMOV": NameKind.PRIMARY,
        "Batya": NameKind.WEAK,
        "Kazak": NameKind.WEAK,
    }
    # Mixed-case records publish whole alternative names: nothing is completed.
    assert [n.full for n in by_id["SYRIA-S2-153"].names][1:] == [
        "Ahmed Salem",
        "Ahmed Salem Hassan",
    ]


def test_titles_dates_and_patronymics(by_id: dict[str, Entity]) -> None:
    titled = [e for e in by_id.values() if e.names[0].title]
    assert len(titled) == 64
    assert {e.names[0].title for e in titled} >= {"Major General", "Brigadier", "Dr."}
    assert "/" not in "".join(e.names[0].title or "" for e in titled)
    assert by_id["JVCFOR-S1-54"].birth_dates == (DateValue("1972-08-10"), DateValue("1972-08-11"))
    assert by_id["JVCFOR-S1-53"].birth_dates == (DateValue("1964-03"),)
    assert by_id["ZIMBABWE-175"].birth_dates == (DateValue("1931-07-07"),)
    akimov = by_id["RUSSIA-S1-94"].names[0]
    assert (akimov.first_name, akimov.father_name, akimov.last_name) == (
        "Andrey",
        "Igorevich",
        "AKIMOV",
    )


# Built from the field names of later editions of sema-lmes.xml (EntityOrShip,
# ShipIMONumber, DateOfBirthOrShipBuildDate, DateOfListing), not from a real file.
LATER_EDITION = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<data-set xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <record>
    <Country>Russia / Russie</Country>
    <EntityOrShip>EXAMPLE TANKER</EntityOrShip>
    <TitleOrShip>Oil tanker</TitleOrShip>
    <ShipIMONumber>9123456</ShipIMONumber>
    <DateOfBirthOrShipBuildDate>2004</DateOfBirthOrShipBuildDate>
    <Schedule>1, Part 5</Schedule>
    <Item>12</Item>
    <DateOfListing>2024-02-24</DateOfListing>
  </record>
  <record>
    <Country>Belarus / Bélarus</Country>
    <LastName>EXAMPLE</LastName>
    <GivenName>Person</GivenName>
    <Schedule>1, Part 1</Schedule>
    <Item>3</Item>
    <Remark>as published</Remark>
  </record>
</data-set>
"""


def test_later_edition_fields_vessel_and_unknown_regime() -> None:
    parsed = sema.parse([SourceFile("sema-lmes.xml", LATER_EDITION.encode())], "ca_sema")
    ship, person = parsed.entities
    assert ship.id == "ca_sema:RUSSIA-S1P5-12"
    assert ship.schema is Schema.VESSEL
    assert [(i.type, i.value) for i in ship.identifiers] == [("imo", "9123456")]
    assert ship.property_values("buildDate") == ("2004",)
    assert ship.birth_dates == ()
    assert ship.designations[0].listed_on == "2024-02-24"
    # A regime missing from the catalogue still gets a designation, and a warning says so.
    assert person.designations[0].program == "BELARUS"
    assert person.designations[0].authority == "Global Affairs Canada"
    assert person.property_values("Remark") == ("as published",)
    assert any("BELARUS" in w or "Belarus" in w for w in parsed.warnings)
    assert any("Remark" in w for w in parsed.warnings)


def test_wrong_kind_of_file(lists_dir: Path) -> None:
    path = lists_dir / "un_sc" / "consolidated-2026-02-27.xml"
    with pytest.raises(ParseError, match=r"consolidated-2026-02-27\.xml: not a Canada SEMA"):
        sema.parse([SourceFile(path.name, path.read_bytes())], "ca_sema")
