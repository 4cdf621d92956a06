"""UN Security Council consolidated list (un-xml) against the three real files in lists/un_sc."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest

from tamiz.model import (
    DateValue,
    NameKind,
    ParsedList,
    ParseError,
    RelationKind,
    Schema,
    SourceFile,
)
from tamiz.programs import catalogue
from tamiz.sources import FORMATS, un

DATES = ("2024-11-30", "2025-11-20", "2026-02-27")


def _load(lists_dir: Path, date: str) -> ParsedList:
    path = lists_dir / "un_sc" / f"consolidated-{date}.xml"
    return un.parse([SourceFile(path.name, path.read_bytes())], "un_sc")


@pytest.fixture(scope="module")
def lists(lists_dir: Path) -> dict[str, ParsedList]:
    return {date: _load(lists_dir, date) for date in DATES}


@pytest.fixture(scope="module")
def latest(lists: dict[str, ParsedList]) -> dict[str, object]:
    return {e.native_id: e for e in lists["2026-02-27"].entities}


def test_registry_points_here() -> None:
    assert FORMATS["un-xml"].parser() is un.parse


@pytest.mark.parametrize(
    ("date", "individuals", "entities"),
    [("2024-11-30", 686, 193), ("2025-11-20", 727, 273), ("2026-02-27", 730, 273)],
)
def test_counts_per_file(lists, date, individuals, entities) -> None:
    # MANIFEST's 879 / 1,000 / 1,003 are INDIVIDUAL + ENTITY records; each becomes one entity.
    parsed = lists[date]
    persons = [e for e in parsed.entities if e.schema is Schema.PERSON]
    assert len(persons) == individuals
    assert len(parsed.entities) - len(persons) == entities
    assert parsed.published == dt.date.fromisoformat(date)
    assert parsed.warnings == ()


def test_ids_are_reference_numbers_and_unique(lists) -> None:
    for parsed in lists.values():
        ids = [e.id for e in parsed.entities]
        assert len(ids) == len(set(ids))
        assert all(re.fullmatch(r"un_sc:[A-Z]{2}[ie]\.\d{3}", i) for i in ids)
        for entity in parsed.entities:
            assert entity.designations[0].source_ref == entity.native_id
            assert (entity.schema is Schema.PERSON) == (entity.native_id[2] == "i")


def test_every_regime_is_in_the_catalogue(lists) -> None:
    programs = catalogue("un_sc")
    seen = {d.program for p in lists.values() for e in p.entities for d in e.designations}
    assert seen == {
        "QD",
        "TA",
        "KP",
        "IR",
        "IQ",
        "CD",
        "LY",
        "SO",
        "CF",
        "YE",
        "GB",
        "SS",
        "SD",
        "HT",
    }
    assert seen <= set(programs)
    for code, info in programs.items():
        assert info.authority == "United Nations Security Council"
        assert re.search(r"resolutions? \d{3,4} \(\d{4}\)", info.legal_basis or ""), code
        assert ("crime.terror" in info.topics) == (code in ("QD", "TA")), code


def test_qdi_person_with_everything(latest) -> None:
    e = latest["QDi.318"]
    assert e.id == "un_sc:QDi.318"
    assert e.schema is Schema.PERSON
    primary = e.names[0]
    assert primary.kind is NameKind.PRIMARY
    assert primary.full == "MUHAMMAD JAMAL ABD-AL RAHIM AHMAD AL-KASHIF"
    assert (primary.first_name, primary.last_name) == ("MUHAMMAD", "AL-KASHIF")
    assert primary.middle_name == "JAMAL ABD-AL RAHIM AHMAD"
    by_name = {n.full: n for n in e.names}
    assert by_name["محمد جمال عبدالرحيم أحمد الكاشف"].kind is NameKind.NATIVE
    assert by_name["محمد جمال عبدالرحيم أحمد الكاشف"].lang == "ara"
    assert by_name["Muhammad Jamal Abdo Al-Kashif"].kind is NameKind.AKA  # QUALITY Good
    assert by_name["Abu Ahmad"].kind is NameKind.WEAK  # QUALITY Low
    assert by_name["Abu Ahmad"].note == "nom de guerre"
    assert [d.value for d in e.birth_dates] == ["1964-01-01", "1964-02-01"]
    assert e.birth_places == ("Cairo, Egypt",)
    assert e.nationalities == ("EG",)
    passports = {(i.value, i.country) for i in e.identifiers if i.type == "passport"}
    assert passports == {("6487", "EG"), ("388181", "YE")}
    issued = next(i for i in e.identifiers if i.value == "6487")
    assert "1986-01-30" in (issued.note or "")
    assert "under name Muhammad Jamal Abdu" in (issued.note or "")
    # A passport stated without a number is kept, not dropped.
    assert any("issued in 1993" in r for r in e.remarks)
    (designation,) = e.designations
    assert designation.program == "QD"
    assert designation.authority == "United Nations Security Council"
    assert designation.listed_on == "2013-10-21"
    assert "1267 (1999)" in (designation.legal_basis or "")
    assert set(designation.topics) == {"sanction", "crime.terror"}
    assert e.property_values("modifiedAt") == ("2019-05-01", "2022-11-08")
    relations = {r.target_id: r.kind for r in e.relations}
    assert relations["un_sc:QDe.003"] is RelationKind.LEADER_OF  # "top military commander of"
    assert relations["un_sc:QDe.004"] is RelationKind.LINKED_TO
    assert relations["un_sc:QDi.006"] is RelationKind.LINKED_TO  # "Linked to Aiman al-Zawahiri"


def test_titles_positions_gender_addresses(latest) -> None:
    zawahiri = latest["QDi.006"]
    assert zawahiri.names[0].title == "Doctor, Dr."
    anwari = latest["TAi.005"]
    assert anwari.names[0].title == "Mullah"
    assert "Director of Administrative Affairs under the Taliban regime" in anwari.positions
    zeiniye = latest["QDi.428"]
    assert zeiniye.gender == "male"
    arsal = next(a for a in zeiniye.addresses if a.city == "Arsal")
    assert (arsal.region, arsal.country, arsal.country_name) == ("Bekaa", "LB", "Lebanon")
    assert zeiniye.countries == ("SY", "LB")
    hamburg = next(a for a in latest["QDi.080"].addresses if a.city == "Hamburg")
    assert (hamburg.street, hamburg.postal_code, hamburg.note) == (
        "Bunatwiete 23",
        "21073",
        "formerly resident at",
    )


def test_qde_entity(latest) -> None:
    e = latest["QDe.004"]
    assert e.schema is Schema.ORGANIZATION
    assert e.caption == "AL-QAIDA"
    assert any(n.full == "القاعدة" and n.kind is NameKind.NATIVE for n in e.names)
    assert any(n.full == "Al Qaeda" and n.kind is NameKind.AKA for n in e.names)
    assert e.designations[0].listed_on == "2001-10-06"
    # f.k.a. quality -> former name
    gspc = latest["QDe.014"]
    former = {n.full for n in gspc.names if n.kind is NameKind.FORMER}
    assert "Salafist Group For Call and Combat" in former
    # "(formerly known as Jannat Oshiklari)" in the remarks is the entity's own former name
    assert any(
        n.kind is NameKind.FORMER and n.full.casefold() == "jannat oshiklari"
        for n in latest["QDe.168"].names
    )


def test_dprk_entities_with_identifiers_from_remarks(latest) -> None:
    shipping = latest["KPe.056"]
    assert shipping.schema is Schema.COMPANY
    assert shipping.designations[0].program == "KP"
    assert "crime.terror" not in shipping.topics
    assert [(i.type, i.value) for i in shipping.identifiers] == [("imo", "5571322")]
    bank = latest["KPe.023"]
    assert ("swift_bic", "DCBKKPPY") in {(i.type, i.value) for i in bank.identifiers}
    assert ("tax_id", "BE480224531") in {(i.type, i.value) for i in latest["IRe.029"].identifiers}
    assert "fdlr@gmx.net" in latest["CDe.005"].property_values("email")
    # Korean names: the UN puts the family name first
    ri = latest["KPi.077"].names[0]
    assert (ri.full, ri.last_name, ri.first_name) == ("RI SONG HYOK", "RI", "SONG HYOK")
    # "Jin Tiesan (金铁三)": the bracket holds the same alias in Chinese characters
    names = {n.full: n for n in latest["KPi.035"].names}
    assert names["Jin Tiesan"].kind is NameKind.AKA
    assert names["金铁三"].lang == "zho"


def test_native_script_names(latest) -> None:
    ismailov = latest["QDi.368"]
    native = [n for n in ismailov.names if n.kind is NameKind.NATIVE]
    assert [(n.full, n.lang) for n in native] == [("Шамиль Магомедович Измайлов", "rus")]
    assert ismailov.names[0].father_name == "MAGOMEDOVICH"
    # Alias notes that give the Cyrillic spelling become names of their own.
    assert any(
        n.full == "Хусан Исаевич Газиев" and n.lang == "rus" for n in latest["QDi.366"].names
    )
    # "حسن غول (Hassan Ghul; Hassan Gul; Hasan Gul)" is four spellings of one alias
    ghul = {n.full for n in latest["QDi.306"].names}
    assert {"حسن غول", "Hassan Ghul", "Hassan Gul", "Hasan Gul"} <= ghul
    natives = [n for e in latest.values() for n in e.names if n.kind is NameKind.NATIVE]
    assert len(natives) == 378
    assert all(n.lang for n in natives if n.full != "JAMAAH ANSHARUT DAULAH")


def test_alias_strings_holding_several_names(latest) -> None:
    sabet = {n.full for n in latest["IRi.034"].names}  # "A; B b) C; D"
    assert {"Mohammed Sabet", "Mohammad Sabet", "M. Javad Kareemi Sabet"} <= sabet
    safia = next(n for n in latest["LYi.019"].names if n.full == "Safia Farkash Mohammed Al-Hadad")
    assert safia.note.startswith("born 1 Jan. 1953; Oman passport no.03825239")
    hilal = next(n for n in latest["SDi.002"].names if n.full == "Musa Hilal")
    assert (hilal.kind, hilal.note) == (NameKind.WEAK, "Sheikh")
    hts = {n.full for n in latest["QDe.137"].names}
    assert {"Hay’at Tahrir al-Sham (HTS)", "هيئة تحرير الشام", "Tahrir al-Sham Hay’at"} <= hts
    # An acronym in brackets stays part of the published name.
    assert "Lord’s Resistance Movement (LRM)" in {n.full for n in latest["CFe.002"].names}


def test_birth_date_kinds(latest) -> None:
    # BETWEEN -> range; APPROXIMATELY in NOTE or TYPE_OF_DATE -> circa; several per person
    assert latest["TAi.002"].birth_dates == (
        DateValue("1945", end="1950", circa=True),
        DateValue("1955", end="1958", circa=True),
    )
    assert DateValue("1973", end="1974") in latest["CDi.030"].birth_dates
    approx = [d for e in latest.values() for d in e.birth_dates if d.circa and not d.end]
    assert DateValue("1966", circa=True) in approx
    assert latest["CDi.001"].birth_dates == (DateValue("1971"),)  # EXACT, YEAR only
    assert latest["QDi.306"].birth_dates[-1] == DateValue(
        "1977-08", end="1977-09", text="Between Aug. and Sep. 1977"
    )
    assert DateValue("1958-09", text="Sep.") in latest["QDi.395"].birth_dates  # YEAR + month
    hijri = DateValue(None, text="24/06/1402 (Hijri Calendar)")
    assert hijri in latest["QDi.291"].birth_dates  # kept as published, not guessed
    kony = latest["CFi.009"].birth_dates
    assert len(kony) == 10 and DateValue("1961-08", text="August 1961") in kony
    # An alias's own date of birth is a birth date of the person too.
    assert DateValue("1958-02-22") in latest["KPi.016"].birth_dates


def test_documents(latest) -> None:
    ssn = next(i for i in latest["QDi.037"].identifiers if i.type == "ssn")
    assert (ssn.value, ssn.country) == ("156-92-9858", "US")
    fiscal = {(i.type, i.value) for i in latest["QDi.060"].identifiers}
    assert ("tax_id", "DAOMMD74T11Z352Z") in fiscal  # "Italian Fiscal Code: ..." in NOTE
    assert ("passport", "L 191609") in fiscal  # "Tunisian passport number L 191609 ..."
    # The same passport under French, Spanish and English labels is one identifier.
    (passport,) = latest["KPi.006"].identifiers
    assert passport.label == "Numéro de passeport / Número de pasaporte / Passport"
    diplomatic = latest["CFi.006"].identifiers[0]
    assert (diplomatic.type, diplomatic.value) == ("passport", "D00000898")


def test_relations_resolved(latest) -> None:
    zawahiri = {r.target_id: r for r in latest["QDi.006"].relations}
    assert zawahiri["un_sc:QDe.004"].kind is RelationKind.LEADER_OF
    assert zawahiri["un_sc:QDe.004"].target_name == "AL-QAIDA"
    son = {r.target_id: r.kind for r in latest["CFi.011"].relations}
    assert son == {
        "un_sc:CFe.002": RelationKind.LINKED_TO,
        "un_sc:CFi.009": RelationKind.FAMILY,  # "the son of LRA leader Joseph Kony (CFi.009)"
    }
    # "Associated with A (QDe.130), B (QDe.019), and C (QDe.121)": the cue covers the list
    assert {r.target_id.split(":")[1]: r.kind for r in latest["QDi.309"].relations} == {
        "QDe.004": RelationKind.LINKED_TO,  # "Has provided ... services to Al-Qaida (QDe.004)"
        "QDe.130": RelationKind.ASSOCIATE,
        "QDe.019": RelationKind.ASSOCIATE,
        "QDe.121": RelationKind.ASSOCIATE,
    }
    # A reference to an entry no longer on the list stays, unresolved, with its name.
    jawlani = next(r for r in latest["QDi.326"].relations if r.target_id is None)
    assert jawlani.target_name == "Abu Mohammed al-Jawlani"
    assert jawlani.note.startswith("QDi.317 (not in this list)")
    # "he was also listed under number TAi.048" is the same person, not a relation
    assert latest["TAi.038"].relations == ()
    assert latest["TAi.038"].property_values("previousReference") == ("TAi.048",)
    ids = set(latest)
    targets = [r.target_id for e in latest.values() for r in e.relations]
    assert len(targets) > 500
    assert all(t.split(":", 1)[1] in ids for t in targets if t)
    assert sum(t is None for t in targets) <= 6


def test_changes_2024_11_to_2025_11(lists) -> None:
    before = {e.id for e in lists["2024-11-30"].entities}
    after = {e.id for e in lists["2025-11-20"].entities}
    assert len(after - before) == 126
    assert sorted(before - after) == [
        f"un_sc:{r}" for r in ("LYi.020", "QDi.095", "QDi.317", "QDi.328", "QDi.336")
    ]
    added = {i.split(":")[1][:2] for i in after - before}
    assert added == {"IR", "HT", "QD"}  # Iran re-listing (2025 snapback), Haiti, one QDi


def test_unchanged_entries_parse_the_same_across_serialisations(lists) -> None:
    """The 2024 copy is re-indented and re-quoted; entries it did not change must match the
    2025 file field for field. Only birth data differs: that copy carries fewer places of
    birth and moves dates into nameless alias records, losing their TYPE_OF_DATE."""
    old = {e.id: e for e in lists["2024-11-30"].entities}
    new = {e.id: e for e in lists["2025-11-20"].entities}
    compared = 0
    for id_ in old.keys() & new.keys():
        a, b = old[id_], new[id_]
        if a.property_values("modifiedAt") != b.property_values("modifiedAt"):
            continue
        compared += 1
        for field in (
            "schema",
            "identifiers",
            "addresses",
            "designations",
            "positions",
            "nationalities",
            "gender",
            "countries",
        ):
            assert getattr(a, field) == getattr(b, field), (id_, field)
        if id_ != "un_sc:TAi.068":  # the 2025 file has a broken character in its native name
            assert a.names == b.names, id_
    assert compared > 800


def test_whitespace_and_quoting_do_not_change_entities(lists_dir: Path, lists) -> None:
    path = lists_dir / "un_sc" / "consolidated-2026-02-27.xml"
    data = path.read_bytes()
    # Re-serialise by hand: single quotes in the prolog, tab indentation, text re-wrapped.
    reshaped = data.replace(
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        b"<?xml version='1.0' encoding='UTF-8'?>",
    )
    reshaped = re.sub(rb"\n( +)", lambda m: b"\n" + b"\t" * len(m.group(1)), reshaped)
    reshaped = reshaped.replace(b". Review pursuant", b".\n            Review  pursuant")
    assert reshaped != data
    again = un.parse([SourceFile("reshaped.xml", reshaped)], "un_sc")
    original = lists["2026-02-27"]
    assert [e.fingerprint() for e in again.entities] == [e.fingerprint() for e in original.entities]


def test_parse_time(lists_dir: Path) -> None:
    path = lists_dir / "un_sc" / "consolidated-2026-02-27.xml"
    data = path.read_bytes()
    start, start_cpu = time.perf_counter(), time.process_time()
    parsed = un.parse([SourceFile(path.name, data)], "un_sc")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(f"\nun-xml: {len(parsed.entities)} entities in {elapsed:.3f} s ({cpu:.3f} s CPU)")
    # CPU time: the 2-core test machines are shared, wall time varies with their load.
    assert cpu < 2.0


def test_one_file_only() -> None:
    with pytest.raises(ParseError, match="exactly one"):
        un.parse([], "un_sc")


# Built from the published format (sc-sanctions.xsd element names), not from a real file.
ODD_IDS = """<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-03-01T10:00:00.000Z">
  <INDIVIDUALS>
    <INDIVIDUAL><DATAID>900001</DATAID><FIRST_NAME>NO</FIRST_NAME><SECOND_NAME>REFERENCE</SECOND_NAME>
      <UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><REFERENCE_NUMBER/></INDIVIDUAL>
    <INDIVIDUAL><DATAID>900002</DATAID><FIRST_NAME>FIRST</FIRST_NAME>
      <UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPi.901</REFERENCE_NUMBER></INDIVIDUAL>
    <INDIVIDUAL><DATAID>900003</DATAID><FIRST_NAME>SECOND</FIRST_NAME>
      <UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPi.901</REFERENCE_NUMBER></INDIVIDUAL>
    <INDIVIDUAL><FIRST_NAME>NOTHING</FIRST_NAME><UN_LIST_TYPE>Mali</UN_LIST_TYPE></INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES/>
</CONSOLIDATED_LIST>
"""


def test_missing_and_duplicate_reference_numbers_fall_back_to_dataid() -> None:
    parsed = un.parse([SourceFile("odd.xml", ODD_IDS.encode())], "un_sc")
    assert [e.id for e in parsed.entities] == ["un_sc:900001", "un_sc:KPi.901", "un_sc:900003"]
    no_ref = parsed.entities[0]
    assert no_ref.designations[0].program == "QD"  # from UN_LIST_TYPE "Al-Qaida"
    assert parsed.published == dt.date(2026, 3, 1)
    assert len(parsed.warnings) == 3
    assert "DATAID 900001 has no REFERENCE_NUMBER" in parsed.warnings[0]
    assert "duplicate REFERENCE_NUMBER KPi.901" in parsed.warnings[1]
    assert "record skipped" in parsed.warnings[2]
