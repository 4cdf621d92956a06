"""Pairwise scoring (tamiz.match.compare) and query validation, on real list entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from tamiz.match import DEFAULT_THRESHOLD, Query, QueryError, compare
from tamiz.model import DateValue, Entity, Identifier, Name, NameKind, Schema, SourceFile
from tamiz.sources import FORMATS


def _parse(fmt: str, dataset: str, files: list[Path]) -> dict[str, Entity]:
    parsed = FORMATS[fmt].parser()([SourceFile(p.name, p.read_bytes()) for p in files], dataset)
    return {e.id: e for e in parsed.entities}


@pytest.fixture(scope="session")
def sdn(lists_dir: Path) -> dict[str, Entity]:
    return _parse("ofac-csv", "us_ofac_sdn", [lists_dir / "us_ofac_sdn/history/sdn-2024-05-03.csv"])


@pytest.fixture(scope="session")
def sdn_2026(lists_dir: Path) -> dict[str, Entity]:
    base = lists_dir / "us_ofac_sdn"
    files = [base / "2026-excerpt/sdn_excerpt.csv", *sorted(base.glob("2025-12-24-partial/*.csv"))]
    return _parse("ofac-csv", "us_ofac_sdn", files)


@pytest.fixture(scope="session")
def un(lists_dir: Path) -> dict[str, Entity]:
    return _parse("un-xml", "un_sc", [lists_dir / "un_sc/consolidated-2026-02-27.xml"])


def score(name: str, entity: Entity, **kw) -> float:
    return compare(Query((name,), **kw), entity).score


def matches(name: str, entity: Entity, **kw) -> bool:
    return score(name, entity, **kw) >= DEFAULT_THRESHOLD


# -- must find -------------------------------------------------------------------------


def test_order_and_format(sdn: dict[str, Entity]) -> None:
    maduro = sdn["us_ofac_sdn:22790"]
    assert maduro.caption == "MADURO MOROS, Nicolas"
    for q in ("Nicolas Maduro", "Nicolás Maduro Moros", "MADURO MOROS, Nicolas", "N. Maduro"):
        assert matches(q, maduro), q
    padrino = sdn["us_ofac_sdn:25080"]
    assert matches("Padrino López, Vladimir", padrino)
    assert matches("Vladimir PADRINO LOPEZ", padrino)


def test_hyphens_apostrophes_glued_articles(sdn: dict[str, Entity]) -> None:
    zawahiri = sdn["us_ofac_sdn:2676"]
    assert zawahiri.caption == "AL ZAWAHIRI, Dr. Ayman"
    for q in ("Ayman al-Zawahiri", "Ayman al Zawahiri", "Ayman Alzawahiri", "AYMAN AL ZAWAHIRI"):
        assert matches(q, zawahiri), q


def test_scripts_against_latin_entries(sdn: dict[str, Entity], un: dict[str, Entity]) -> None:
    putin = sdn["us_ofac_sdn:35096"]
    assert matches("Владимир Путин", putin)
    kim = sdn["us_ofac_sdn:20157"]
    assert matches("김정은", kim)
    qadhafi = next(e for e in un.values() if e.caption == "MUAMMAR MOHAMMED ABU MINYAR QADHAFI")
    assert matches("معمر القذافي", qadhafi)
    # a foreign name transcribed into Chinese characters, parts separated by a middle dot
    maduro = sdn["us_ofac_sdn:22790"]
    assert matches("尼古拉斯·马杜罗", maduro)
    assert not matches("尼古拉斯·马杜罗", putin)


def test_latin_query_against_native_script_entry(un: dict[str, Entity]) -> None:
    # UN entries carry the original-script name; a native-script query finds it exactly
    # and a Latin query finds the entry through its Latin names.
    entity = next(e for e in un.values() if any(n.kind is NameKind.NATIVE for n in e.names))
    native = next(n.full for n in entity.names if n.kind is NameKind.NATIVE)
    assert matches(native, entity)
    assert matches(entity.caption, entity)


def test_transliteration_variants() -> None:
    person = Entity(
        "t:1",
        "t",
        Schema.PERSON,
        (Name("MOHAMMED, Yusuf Abd al-Rahman"),),
    )
    for q in (
        "Muhammad Yusuf Abdulrahman",
        "Mohd Jusuf Abdel Rahman",
        "Mohamad Youssef Abdul Rahman",
    ):
        assert matches(q, person), q
    gaddafi = Entity("t:2", "t", Schema.PERSON, (Name("QADHAFI, Muammar"),))
    for q in ("Muammar Gaddafi", "Moammar Kadhafi", "Muammar al-Qaddafi"):
        assert matches(q, gaddafi), q


def test_spanish_double_surname_given_partially(sdn: dict[str, Entity]) -> None:
    assert matches("Vladimir Padrino", sdn["us_ofac_sdn:25080"])


def test_alias_finds_entity(sdn_2026: dict[str, Entity]) -> None:
    cartel = sdn_2026["us_ofac_sdn:55025"]
    result = compare(Query(("Cartel of the Suns",)), cartel)
    assert result.match
    assert result.explanation.name_kind == "aka"
    assert result.explanation.matched_name == "CARTEL OF THE SUNS"


def test_weak_alias_counts_less(sdn_2026: dict[str, Entity]) -> None:
    tren = sdn_2026["us_ofac_sdn:49756"]
    weak = compare(Query(("Aragua Train",)), tren)
    strong = compare(Query(("Tren de Aragua",)), tren)
    assert weak.explanation.name_kind == "weak"
    assert 0 < weak.score < strong.score


def test_organisations_legal_forms_and_numbers() -> None:
    emma = Entity("t:3", "t", Schema.COMPANY, (Name("EMMA LLC"),))
    assert matches("Emma Limited Liability Company", emma) or matches("EMMA L.L.C.", emma)
    assert not matches("ALFA LLC", emma)
    gaz = Entity("t:4", "t", Schema.COMPANY, (Name("KOMPANIYA GAZ-ALYANS, OOO"),))
    assert matches("ООО Компания Газ-Альянс", gaz)
    intl = Entity("t:5", "t", Schema.COMPANY, (Name("SHAHID HEMMAT INDUSTRIAL GROUP"),))
    assert matches("Shahid Hemmat Industrial GRP", intl)
    vessel = Entity("t:6", "t", Schema.VESSEL, (Name("ZU ZAG BONG 6"),))
    assert matches("ZU ZAG BONG 6", vessel)
    assert not matches("ZU ZAG BONG 5", vessel)


def test_typos_missing_tokens_nicknames() -> None:
    person = Entity("t:7", "t", Schema.PERSON, (Name("GUZMAN LOERA, Joaquin Archivaldo"),))
    assert matches("Joaquin Guzman Loera", person)
    assert matches("Joaqin Guzmán Loera", person)
    bob = Entity("t:8", "t", Schema.PERSON, (Name("HARRINGTON, Robert Anthony"),))
    assert matches("Bob Harrington", bob)


# -- must not alert --------------------------------------------------------------------


def test_common_surname_alone(sdn: dict[str, Entity]) -> None:
    rubio = sdn["us_ofac_sdn:26983"]
    assert rubio.caption == "RUBIO GONZALEZ, Emmanuel Enrique"
    assert not matches("Rubio", rubio)
    assert not matches("Maduro", sdn["us_ofac_sdn:22790"])


def test_common_given_names_with_other_names() -> None:
    listed = Entity("t:9", "t", Schema.PERSON, (Name("Mohammed Yusuf Hassan"),))
    assert not matches("Mohammed Ali", listed)
    assert not matches(
        "Mohammed Ali Hassan", Entity("t:10", "t", Schema.PERSON, (Name("Mohammed Omar Hassan"),))
    )


def test_reversed_first_last_different_people() -> None:
    listed = Entity("t:11", "t", Schema.PERSON, (Name("HUSSEIN, Saddam"),))
    assert not matches("Hussein Ali", listed)
    assert not matches("Saddam Kamel", listed)


def test_person_against_vessel(sdn: dict[str, Entity]) -> None:
    vessel = next(e for e in sdn.values() if e.schema is Schema.VESSEL)
    name = vessel.caption
    assert matches(name, vessel)
    assert not matches(name, vessel, schema="Person")
    result = compare(Query((name,), schema=Schema.PERSON), vessel)
    assert result.explanation.attributes[0].attribute == "schema"


# -- evidence --------------------------------------------------------------------------


def test_birth_date_evidence(sdn: dict[str, Entity]) -> None:
    maduro = sdn["us_ofac_sdn:22790"]
    assert maduro.birth_dates[0].value == "1962-11-23"
    base = score("Nicolas Maduro", maduro)
    exact = score("Nicolas Maduro", maduro, birth_dates=("1962-11-23",))
    year = score("Nicolas Maduro", maduro, birth_dates=("1962",))
    near = score("Nicolas Maduro", maduro, birth_dates=("1963",))
    wrong = score("Nicolas Maduro", maduro, birth_dates=("1990-01-01",))
    assert exact > year > base and near >= base > wrong
    assert wrong < DEFAULT_THRESHOLD


def test_identifier_and_country_evidence() -> None:
    entity = Entity(
        "t:12",
        "t",
        Schema.PERSON,
        (Name("SMITH, John"),),
        nationalities=("GB",),
        identifiers=(Identifier("passport", "A1234567"),),
        birth_dates=(DateValue("1970"),),
        gender="male",
    )
    base = score("John Smyth", entity)
    with_id = compare(Query(("John Smyth",), identifiers=("a 123-4567",)), entity)
    assert with_id.score > base and with_id.match
    assert any(a.attribute == "id" and a.outcome == "agree" for a in with_id.explanation.attributes)
    assert score("John Smith", entity, countries=("United Kingdom",)) > score(
        "John Smith", entity, countries=("FR",)
    )
    assert score("John Smith", entity, gender="female") < score("John Smith", entity)


def test_explanation_is_json_ready(sdn: dict[str, Entity]) -> None:
    import json

    r = compare(Query(("Nicolás Maduro",), birth_dates=("1962",)), sdn["us_ofac_sdn:22790"])
    d = r.explanation.to_dict()
    json.dumps(d)
    assert {a["query"] for a in d["aligned"]} == {"nicolas", "maduro"}
    assert d["unmatched_list_tokens"] == ["moros"]
    assert d["attributes"][0]["attribute"] == "dob"
    assert "maduro" in d["summary"].lower()
    assert r.to_dict()["id"] == "us_ofac_sdn:22790"


def test_compare_two_queries_symmetric_enough() -> None:
    a = compare(Query(("Vladimir Putin",)), Query(("PUTIN, Vladimir Vladimirovich",)))
    b = compare(Query(("PUTIN, Vladimir Vladimirovich",)), Query(("Vladimir Putin",)))
    assert a.match and b.match


def test_from_entity(sdn: dict[str, Entity]) -> None:
    maduro = sdn["us_ofac_sdn:22790"]
    q = Query.from_entity(maduro)
    assert q.schema is Schema.PERSON and q.birth_dates == ("1962-11-23",)
    assert compare(q, maduro).score > 0.99


# -- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"names": ("",)}, "at least one non-empty name"),
        ({"names": ("   ",)}, "at least one non-empty name"),
        ({"names": ("?!.-",)}, "no letters or digits"),
        ({"names": ("x" * 10_000_000,)}, "limit is 1,000"),
        ({"names": ("Maduro",), "schema": "Spaceship"}, "unknown schema"),
        ({"names": ("Maduro",), "birth_dates": ("23/11/1962",)}, "not YYYY"),
        ({"names": ("Maduro",), "birth_dates": ("1962-02-30",)}, "not a valid calendar date"),
        ({"names": ("Maduro",), "countries": ("Atlantis",)}, "unknown country"),
        ({"names": ("Maduro",), "gender": "robot"}, "unknown gender"),
        ({"names": (123,)}, "must be text"),
    ],
)
def test_bad_queries_raise_one_line_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(QueryError, match=message) as info:
        Query(**kwargs)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_documented_normalisations() -> None:
    q = Query("Nicolas\x07Maduro", schema="person", countries=("venezuela",), gender="M")
    assert q.names == ("Nicolas Maduro",)
    assert q.schema is Schema.PERSON and q.countries == ("VE",) and q.gender == "male"
    mixed = Query(("Vladimir Путин",))
    assert mixed.names == ("Vladimir Путин",)


def test_contradicting_birth_date_outweighs_an_exact_name(sdn: dict[str, Entity]) -> None:
    maduro = sdn["us_ofac_sdn:22790"]
    exact = compare(Query(("Nicolas Maduro Moros",)), maduro)
    assert exact.score > 0.95
    other = compare(Query(("Nicolas Maduro Moros",), birth_dates=("1990-01-01",)), maduro)
    assert not other.match
    assert other.explanation.attributes[0].outcome == "contradict"


# -- failure analysis of list aliases: spellings the engine used to miss -----------------


def test_vowel_spellings_of_arabic_names() -> None:
    saif = Entity("t:20", "t", Schema.PERSON, (Name("QADDAFI, Saif al-Islam"),))
    assert matches("EL-QADDAFI, Seif al-Islam", saif)
    khalil = Entity("t:21", "t", Schema.PERSON, (Name("KHALIL, Iyad Nazmi Salih"),))
    assert matches("KHALIL, Eyad Nazmi Saleh", khalil)
    # Related names with the adjectival -i are different names.
    hosseini = Entity("t:22", "t", Schema.PERSON, (Name("Hosseini Mohammad"),))
    assert not matches("Hossein Mohammadi", hosseini)
    assert not matches("حسین محمدی", hosseini)


def test_search_finds_vowel_spellings_without_a_shared_deletion() -> None:
    from tamiz.match import MatchIndex

    index = MatchIndex.build(
        [
            Entity("t:23", "t", Schema.PERSON, (Name("SLAIWAH, Rudi"),)),
            Entity("t:24", "t", Schema.PERSON, (Name("MUSHAWEH, Lubana"),)),
        ]
    )
    assert [r.entity_id for r in index.search(Query(("Rudi Saliwa",)))] == ["t:23"]
    assert [r.entity_id for r in index.search(Query(("Loubaan Mouchaweh",)))] == ["t:24"]


def test_acronyms_of_organisation_names() -> None:
    from tamiz.match import MatchIndex

    irgc = Entity("t:30", "t", Schema.ORGANIZATION, (Name("ISLAMIC REVOLUTIONARY GUARD CORPS"),))
    assert matches("IRGC", irgc)
    ground = Entity("t:31", "t", Schema.ORGANIZATION, (Name("IRGC GROUND FORCES"),))
    assert matches("ISLAMIC REVOLUTIONARY GUARDS CORPS GROUND FORCE", ground, schema="Organization")
    bnc = Entity("t:32", "t", Schema.COMPANY, (Name("BANCO NACIONAL DE CUBA"),))
    assert matches("BNC", bnc, schema="Company")
    # A name that spells out its own acronym is not penalised for it, on either side.
    spelled = Entity(
        "t:33", "t", Schema.ORGANIZATION, (Name("ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC)"),)
    )
    assert matches("IRGC", spelled)
    assert matches("Islamic Revolutionary Guard Corps (IRGC)", irgc)
    # Persons have no acronyms; other initials are other names.
    person = Entity("t:34", "t", Schema.PERSON, (Name("Ivan Roman Gorbunov Cherny"),))
    assert not matches("IRGC", person)
    assert not matches("IRGC", Entity("t:35", "t", Schema.COMPANY, (Name("IRAN GAS COMPANY"),)))
    # The index finds the spelled-out name from the acronym and the other way round.
    index = MatchIndex.build([irgc, ground, bnc])
    assert index.search(Query(("IRGC",), schema="Organization"))[0].entity_id == "t:30"
    # (a bare three-letter acronym is weak evidence in a search: 9 bits at most)
    assert index.search(Query(("BNC",)), threshold=0.5)[0].entity_id == "t:32"
    found = index.search(Query(("Islamic Revolutionary Guard Corps Ground Forces",)))
    assert "t:31" in [r.entity_id for r in found]


def test_translated_organisation_words() -> None:
    bnc = Entity("t:36", "t", Schema.COMPANY, (Name("BANCO NACIONAL DE CUBA"),))
    assert matches("National Bank of Cuba", bnc, schema="Company")
    ashtar = Entity("t:37", "t", Schema.ORGANIZATION, (Name("AL-ASHTAR BRIGADES"),))
    assert matches("Saraya al-Ashtar", ashtar, schema="Organization")
    # Translations do not make different names alike.
    assert not matches("National Bank of Peru", bnc, schema="Company")
