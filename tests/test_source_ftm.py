"""FollowTheMoney JSON lines: import of the yente fixtures, export, and the round trip."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tamiz.model import (
    Address,
    DateValue,
    Designation,
    Entity,
    Identifier,
    Name,
    NameKind,
    ParseError,
    Relation,
    RelationKind,
    Schema,
    SourceFile,
    make_properties,
)
from tamiz.sources import FORMATS, ftm


def _parse(path: Path, dataset: str = "os") -> ftm.ParsedList:
    return ftm.parse([SourceFile(path.name, path.read_bytes())], dataset)


def _lines(objects) -> bytes:
    return "\n".join(json.dumps(o, ensure_ascii=False) for o in objects).encode()


@pytest.fixture(scope="module")
def t1(lists_dir: Path):
    return _parse(lists_dir / "ftm" / "yente-fixture-t1.ftm.json")


@pytest.fixture(scope="module")
def zala(lists_dir: Path):
    return _parse(lists_dir / "ftm" / "yente-fixture-zala.ftm.json")


def by_id(parsed) -> dict[str, Entity]:
    return {e.id: e for e in parsed.entities}


def test_registered_format() -> None:
    assert FORMATS["ftm"].parser() is ftm.parse


def test_t1_counts_and_synthetic_designations(t1) -> None:
    # 7 lines: 4 Person, 2 Organization, 1 Address (referenced by nobody in this excerpt)
    assert len(t1.entities) == 6
    assert sorted(e.schema.value for e in t1.entities) == ["Organization"] * 2 + ["Person"] * 4
    assert t1.published.isoformat() == "2024-06-01"  # latest last_seen
    for entity in t1.entities:
        # no Sanction lines: one designation from the dataset name, still a sanction
        (designation,) = entity.designations
        assert designation.authority == "eu_fsf"
        assert designation.topics == ("sanction",)
        assert designation.kind == "sanction"
    kuzmenko = by_id(t1)["os:NK-2Ka3UvopqbpZmVDFjWd4LA"]
    assert kuzmenko.caption == "Vitaly Yurievich KUZMENKO"
    assert "Виталий Юрьевич КУЗЬМЕНКО" in {n.full for n in kuzmenko.names}
    assert kuzmenko.identifiers == (Identifier("tax_id", "366510784303", label="taxNumber"),)
    assert kuzmenko.birth_dates == (DateValue("1971-01-22"),)
    assert kuzmenko.nationalities == ("RU",)
    assert kuzmenko.gender == "male"
    # several first names are not tied to one name: kept as published in the properties
    assert kuzmenko.property_values("firstName") == ("Виталий", "Vitaly", "Vitalij")


def test_zala_counts_and_resolution(zala) -> None:
    assert len(zala.entities) == 17  # 6 Person + 11 Company of 91 lines
    assert sum(e.schema is Schema.PERSON for e in zala.entities) == 6
    assert sum(e.schema is Schema.COMPANY for e in zala.entities) == 11
    # all 41 Sanction lines land on a party; 86 designations in all (incl. synthetic ones)
    assert sum(len(e.designations) for e in zala.entities) == 86
    assert not zala.warnings
    entities = by_id(zala)
    cst = entities["os:NK-abdzbEBkqyT29GyREbiURZ"]
    assert cst.caption == "LLC CST"
    kalashnikov = "os:NK-nR5AXM9AVPq4pQaSPSaVam"
    owners = {(r.kind, r.target_id, r.note) for r in cst.relations}
    assert (RelationKind.OWNED_BY, kalashnikov, "subsidiary of") in owners
    assert (RelationKind.OWNED_BY, kalashnikov, "49%; since 2016-03-29") in owners
    structured = [a for a in cst.addresses if a.city]
    assert structured and all(a.country for a in structured)
    # a non-target company from a registry extract: kept, but not listed
    izhtelecom = entities["os:NK-56Edov9bas9puzaChH5pBy"]
    assert izhtelecom.designations == ()
    assert izhtelecom.property_values("jurisdiction") == ("ru",)


def test_zala_fully_checked_person(zala) -> None:
    zakharov = by_id(zala)["os:NK-aU5ybkbRFJucf8YMwsJvDw"]
    assert zakharov.schema is Schema.PERSON
    assert zakharov.names[0] == Name("Alexander Vyacheslavovich ZAKHAROV", NameKind.PRIMARY)
    assert len(zakharov.names) == 17
    assert Name("Александр Вячеславович Захаров", NameKind.AKA) in zakharov.names
    assert zakharov.birth_dates == (DateValue("1965-09-21"),)
    assert zakharov.nationalities == ("RU",) and zakharov.citizenships == ("RU",)
    assert zakharov.gender == "male"
    assert zakharov.identifiers == (Identifier("tax_id", "183111242406", label="innCode"),)
    assert "Izhevsk, Russian Federation" in zakharov.birth_places
    assert zakharov.positions == ("Propriétaire de LLC CST", "Owner of LLC CST")
    relations = {(r.kind, r.target_name, r.note) for r in zakharov.relations}
    assert (RelationKind.LEADER_OF, "LLC CST", "Leader or official of") in relations
    uk = next(d for d in zakharov.designations if d.program == "GB-RUS")
    assert uk == Designation(
        authority="Foreign, Commonwealth & Development Office; UK",
        program="GB-RUS",
        program_title="The Russia (Sanctions) (EU Exit) Regulations 2019",
        legal_basis=uk.legal_basis,
        listed_on="2023-12-06",
        effective_from="2023-12-06",
        source_ref="16271",
        topics=("debarment", "corp.disqual", "sanction"),
        kind="sanction",
    )
    assert "Russia (Sanctions) (EU Exit) Regulations 2019" in uk.legal_basis
    ofac = next(d for d in zakharov.designations if d.program == "US-RUSHAR")
    assert ofac.legal_basis == "Executive Order 14024 (Russia)"
    assert ofac.program_title == "RUSSIA-EO14024"
    # family relations point at him from his relatives
    nikita = by_id(zala)["os:NK-JseaPJctnK9o8wrmz8xmoT"]
    assert (
        Relation(
            RelationKind.FAMILY,
            "Alexander Vyacheslavovich ZAKHAROV",
            "os:NK-aU5ybkbRFJucf8YMwsJvDw",
            "Family member of",
        )
        in nikita.relations
    )
    # the Passport line has a holder but no number: nothing to record
    assert all(i.type != "passport" for i in zakharov.identifiers)


@pytest.mark.parametrize("fixture", ["yente-fixture-t1.ftm.json", "yente-fixture-zala.ftm.json"])
def test_fixture_round_trip_is_exact(lists_dir: Path, fixture: str) -> None:
    first = _parse(lists_dir / "ftm" / fixture)
    exported = list(ftm.entities_to_ftm(first.entities))
    again = ftm.parse([SourceFile("export.ftm.json", _lines(exported))], "os")
    assert [e.fingerprint() for e in again.entities] == [e.fingerprint() for e in first.entities]
    assert again.entities == first.entities
    # deterministic: exporting twice gives the same objects
    assert list(ftm.entities_to_ftm(first.entities)) == exported


def _assert_valid_ftm(objects: list[dict]) -> None:
    """Every object uses only its schema's properties, and every reference resolves."""
    properties = ftm.schema_properties()
    ids = [o["id"] for o in objects]
    assert len(ids) == len(set(ids))
    known = set(ids)
    refs = {
        "Sanction": ("entity",),
        "Identification": ("holder",),
        "Passport": ("holder",),
        **{s: spec[:2] for s, spec in ftm.RELATIONSHIPS.items()},
    }
    for obj in objects:
        assert obj["schema"] in properties, obj["schema"]
        assert set(obj["properties"]) <= properties[obj["schema"]], obj
        for values in obj["properties"].values():
            assert values and all(isinstance(v, str) and v for v in values)
        for prop in refs.get(obj["schema"], ()):
            assert obj["properties"][prop][0] in known
        for ref in obj["properties"].get("addressEntity", ()):
            assert ref in known
        for prop in ("country", "nationality", "citizenship"):
            for value in obj["properties"].get(prop, ()):
                assert value == value.lower() and len(value) in (2, 4, 5), value


def test_export_is_valid_ftm(zala, t1) -> None:
    _assert_valid_ftm(list(ftm.entities_to_ftm(zala.entities + t1.entities)))


# Entities shaped like the OFAC parser's output (built here from the OFAC format description,
# not read from a file): what an export of a sanctions list through FtM must preserve.
SDGT = Designation(
    "US Department of the Treasury, OFAC",
    "SDGT",
    "Specially Designated Global Terrorist",
    "E.O. 13224",
    listed_on="2025-07-25",
    source_ref="55025",
    topics=("sanction", "crime.terror"),
)
FTO = Designation(
    "US Department of State",
    "FTO",
    "Foreign Terrorist Organization",
    "INA section 219",
    listed_on="2025-11-24",
    effective_from="2025-11-24",
    topics=("sanction", "crime.terror"),
)
OFAC_LIKE = (
    Entity(
        id="us_ofac_sdn:55025",
        dataset="us_ofac_sdn",
        schema=Schema.ORGANIZATION,
        names=(
            Name("CARTEL DE LOS SOLES"),
            Name("CARTEL OF THE SUNS", NameKind.AKA),
            Name("SOLES", NameKind.WEAK),
        ),
        countries=("VE",),
        remarks=("Linked To: MADURO MOROS, Nicolas.",),
        designations=(SDGT, FTO),
        relations=(Relation(RelationKind.LINKED_TO, "MADURO MOROS, Nicolas", "us_ofac_sdn:22790"),),
    ),
    Entity(
        id="us_ofac_sdn:22790",
        dataset="us_ofac_sdn",
        schema=Schema.PERSON,
        names=(
            Name("Nicolas MADURO MOROS", first_name="Nicolas", last_name="MADURO MOROS"),
            Name("Nicolás MADURO", NameKind.AKA),
            Name("Nicolas MADURO", NameKind.FORMER),
        ),
        birth_dates=(DateValue("1962-11-23"),),
        birth_places=("Caracas, Venezuela",),
        nationalities=("VE",),
        gender="male",
        addresses=(Address(full="Caracas, Venezuela", city="Caracas", country="VE"),),
        identifiers=(
            Identifier("cedula", "5892464", country="VE", label="Cedula No."),
            Identifier("passport", "D00000001", country="VE", note="diplomatic"),
        ),
        positions=("President of the Bolivarian Republic of Venezuela",),
        designations=(
            Designation(
                "US Department of the Treasury, OFAC",
                "VENEZUELA",
                "Venezuela-Related Sanctions",
                "E.O. 13692",
                listed_on="2017-07-31",
                topics=("sanction",),
            ),
        ),
        relations=(Relation(RelationKind.LEADER_OF, "CARTEL DE LOS SOLES", "us_ofac_sdn:55025"),),
    ),
    Entity(
        id="us_ofac_sdn:9999",
        dataset="us_ofac_sdn",
        schema=Schema.VESSEL,
        names=(Name("SEA STAR"), Name("OCEAN STAR", NameKind.FORMER)),
        identifiers=(Identifier("imo", "9187629", label="IMO"), Identifier("mmsi", "613414602")),
        designations=(
            Designation("US Department of the Treasury, OFAC", "IRAN", topics=("sanction",)),
        ),
        relations=(Relation(RelationKind.OWNED_BY, "UNKNOWN SHIPPING CO"),),  # no target id
        properties=make_properties({"flag": ["pa"], "callSign": ["3FJK7"]}),
    ),
)


def _carried(entity: Entity) -> Entity:
    """``entity`` reduced to what FtM can carry (see the ftm module docstring)."""
    topics = entity.topics
    return dataclasses.replace(
        entity,
        names=tuple(sorted(entity.names, key=lambda n: (n.kind is not NameKind.PRIMARY, n.full))),
        identifiers=tuple(sorted(entity.identifiers, key=repr)),
        designations=tuple(
            dataclasses.replace(d, topics=topics, kind="sanction") for d in entity.designations
        ),
        # FtM names a relation's target by the target's own caption
        relations=tuple(
            dataclasses.replace(r, target_name="") for r in entity.relations if r.target_id
        ),
    )


def test_round_trip_of_ofac_like_entities() -> None:
    exported = list(ftm.entities_to_ftm(OFAC_LIKE))
    _assert_valid_ftm(exported)
    parsed = ftm.parse([SourceFile("ofac.ftm.json", _lines(exported))], "us_ofac_sdn")
    assert [e.id for e in parsed.entities] == [e.id for e in OFAC_LIKE]
    for original, back in zip(OFAC_LIKE, parsed.entities, strict=True):
        assert _carried(back) == _carried(original)
    # the bits that needed helper entities really went through them
    schemata = {o["schema"] for o in exported}
    assert {"Sanction", "Identification", "Passport", "UnknownLink", "Directorship"} <= schemata
    maduro = next(o for o in exported if o["id"] == "22790")
    assert maduro["properties"]["idNumber"] == ["5892464"]  # flat, for FtM matchers
    assert maduro["target"] is True


def test_qualified_ids_for_mixed_streams() -> None:
    exported = list(ftm.entities_to_ftm(OFAC_LIKE[:1], qualified_ids=True))
    assert exported[0]["id"] == "us_ofac_sdn-55025"
    link = next(o for o in exported if o["schema"] == "UnknownLink")
    assert link["properties"]["object"] == ["us_ofac_sdn-22790"]


def test_json_array_and_fragments_are_accepted() -> None:
    # two fragments of one entity are merged (FtM streams may split an entity)
    fragments = [
        {"id": "x1", "schema": "Person", "properties": {"name": ["Ana Pérez"]}, "target": True},
        {"id": "x1", "schema": "Person", "properties": {"alias": ["Ana P."], "topics": ["poi"]}},
    ]
    parsed = ftm.parse([SourceFile("array.json", json.dumps(fragments).encode())], "mine")
    (entity,) = parsed.entities
    assert [n.full for n in entity.names] == ["Ana Pérez", "Ana P."]
    (designation,) = entity.designations
    assert designation.kind == "other" and designation.topics == ("poi",)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.ftm.json", b"", "empty file"),
        ("cut.ftm.json", None, "line 4 is not valid JSON"),
        ("utf16.ftm.json", "x".encode("utf-16"), "UTF-16"),
        ("other.json", b'{"total": 3, "items": []}\n', "not a FollowTheMoney entity"),
        ("props.json", b'{"id": "a", "schema": "Person", "properties": {"name": "A"}}', "list"),
    ],
)
def test_bad_input(lists_dir: Path, name: str, data: bytes | None, message: str) -> None:
    if data is None:  # the t1 fixture cut in the middle of its 4th line
        raw = (lists_dir / "ftm" / "yente-fixture-t1.ftm.json").read_bytes()
        lines = raw.split(b"\n")
        data = b"\n".join([*lines[:3], lines[3][:40]])
    with pytest.raises(ParseError, match=message) as info:
        ftm.parse([SourceFile(name, data)], "x")
    assert name in str(info.value)


def test_wrong_file_is_rejected(lists_dir: Path) -> None:
    path = lists_dir / "eu_fsf" / "fsf-excerpt-2026-08-05.xml"
    with pytest.raises(ParseError, match=path.name):
        _parse(path)
