"""FBI Wanted API list pages against page 20 of the 2024-09 listing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tamiz.model import DateValue, Designation, Name, NameKind, ParseError, Schema, SourceFile
from tamiz.sources import FORMATS, fbi_wanted

FILE = "wanted-list-page20-2024-09.json"
MORENETS = "us_fbi_wanted:3d41d106985e4b558604afbf7538125d"


@pytest.fixture(scope="module")
def page(lists_dir: Path) -> dict:
    return json.loads((lists_dir / "us_fbi_wanted" / FILE).read_bytes())


@pytest.fixture(scope="module")
def parsed(lists_dir: Path):
    data = (lists_dir / "us_fbi_wanted" / FILE).read_bytes()
    return fbi_wanted.parse([SourceFile(FILE, data)], "us_fbi_wanted")


def _file(name: str, obj) -> SourceFile:
    return SourceFile(name, json.dumps(obj).encode())


def test_registered_format() -> None:
    assert FORMATS["fbi-wanted-json"].parser() is fbi_wanted.parse


def test_only_wanted_persons(parsed, page) -> None:
    assert len(page["items"]) == 20
    # 8 of the 20 posters are wanted fugitives; the other 12 are about missing persons (4),
    # unidentified bodies (1 + 1 filed as information), a victim, a homicide victim, an
    # unknown suspect and three case posters: none of them is a person to screen against.
    assert sorted(e.caption for e in parsed.entities) == [
        "ALEKSEI SERGEYEVICH MORENETS",
        "BOB TANG",
        "FRANCISCO FABIAN TORRES GAONA",
        "GLEB IGOREVICH VASILCHENKO",
        "JAVIER CASTILLO-PELAJIO",
        "JOSHUA ISMAEL CAMPOS",
        "ROBERT SERGEYEVICH BOVDA",
        "YEVGENIY VIKTOROVICH PRIGOZHIN",
    ]
    left_out = sum(int(w.split()[0]) for w in parsed.warnings if "posters left out" in w)
    assert left_out == 12
    text = " ".join(parsed.warnings)
    for title in ("MARGARET ELLEN FOX", "FRANK A. WILLIAMS", "GRU HACKING", "UNKNOWN SUSPECT"):
        assert title in text
    assert parsed.published == dt.date(2024, 9, 4)
    for entity in parsed.entities:
        assert entity.schema is Schema.PERSON
        assert entity.designations
        for designation in entity.designations:
            assert designation.kind == "wanted"
            assert "wanted" in designation.topics
            assert not any(t.startswith("sanction") for t in designation.topics)
            assert designation.authority == "US Federal Bureau of Investigation"


def test_fully_checked_person(parsed) -> None:
    morenets = next(e for e in parsed.entities if e.id == MORENETS)
    assert morenets.names == (
        Name("ALEKSEI SERGEYEVICH MORENETS", NameKind.PRIMARY),
        Name("Aleksey Sergeevich Morenets", NameKind.AKA),
        Name("Lexa", NameKind.WEAK),
        Name("Алексей (Леха) Сергеевич Моренец", NameKind.AKA),
    )
    assert morenets.birth_dates == (DateValue("1977-07-31"),)  # "July 31, 1977"
    assert morenets.nationalities == ("RU",)
    assert morenets.gender == "male"
    assert morenets.positions == (
        "Officer in the Russian Federation’s Main Intelligence Directorate of the General "
        "Staff (GRU)",
    )
    assert morenets.designations == (
        Designation(
            authority="US Federal Bureau of Investigation",
            program="Cyber's Most Wanted",
            program_title="FBI Cyber's Most Wanted",
            listed_on="2018-10-02",
            source_ref="https://www.fbi.gov/wanted/cyber/aleksei-sergeyevich-morenets",
            topics=("wanted", "crime.cyber"),
            kind="wanted",
        ),
    )
    assert morenets.remarks[0].startswith("Conspiracy to Commit Computer Fraud")  # charges
    assert any("ARMED AND DANGEROUS" in r for r in morenets.remarks)
    assert morenets.property_values("sourceUrl") == (
        "https://www.fbi.gov/wanted/cyber/aleksei-sergeyevich-morenets",
    )
    assert morenets.property_values("hairColor") == ("Brown",)


def test_rewards_places_and_nicknames(parsed) -> None:
    by_name = {e.caption: e for e in parsed.entities}
    tang = by_name["BOB TANG"]
    assert tang.birth_places == ("Cambodia",) and tang.nationalities == ("KH",)
    assert (
        "The FBI is offering a reward of up to $10,000 for information leading directly to the "
        "arrest of Bob Tang." in tang.remarks
    )
    assert "NCIC: W276356163" in tang.remarks
    castillo = by_name["JAVIER CASTILLO-PELAJIO"]
    assert castillo.birth_dates == (DateValue("1984-09-07"), DateValue("1984-06-07"))
    assert Name("El Mono", NameKind.WEAK) in castillo.names  # printed in quotes
    assert Name("Rafael Ramirez Flores", NameKind.AKA) in castillo.names


def test_several_pages_deduplicated_by_uid(page, parsed) -> None:
    items = page["items"]
    first = {**page, "page": 1, "items": items[:12]}
    second = {**page, "page": 2, "items": items[8:]}  # items 8-11 on both pages
    as_files = fbi_wanted.parse(
        [_file("p1.json", first), _file("p2.json", second)], "us_fbi_wanted"
    )
    as_array = fbi_wanted.parse([_file("pages.json", [first, second])], "us_fbi_wanted")
    expected = sorted(parsed.entities, key=lambda e: e.id)
    assert sorted(as_files.entities, key=lambda e: e.id) == expected
    assert sorted(as_array.entities, key=lambda e: e.id) == expected
    # the most recently modified copy of a poster wins
    newer = {**items[0], "modified": "2024-10-01T00:00:00+00:00", "aliases": ["Alexei Morenets"]}
    third = {**page, "items": [newer]}
    updated = fbi_wanted.parse([_file("a.json", third), _file("b.json", page)], "us_fbi_wanted")
    morenets = next(e for e in updated.entities if e.id == MORENETS)
    assert [n.full for n in morenets.names] == ["ALEKSEI SERGEYEVICH MORENETS", "Alexei Morenets"]
    assert updated.published == dt.date(2024, 10, 1)


def test_unknown_subject_of_a_wanted_poster_is_kept_and_reported(page) -> None:
    item = {**page["items"][0], "subjects": ["Operation Example"]}
    parsed = fbi_wanted.parse([_file("one.json", {"items": [item]})], "us_fbi_wanted")
    (entity,) = parsed.entities
    (designation,) = entity.designations
    assert designation.program == "Operation Example"
    assert designation.kind == "wanted" and designation.topics == ("wanted",)
    assert any("Operation Example" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.json", b"", "empty file"),
        ("cut.json", None, "not valid JSON"),
        ("utf16.json", '{"items": []}'.encode("utf-16"), "UTF-16"),
        ("ftm.json", b'{"id": "x", "schema": "Person", "properties": {}}', "not an FBI Wanted"),
        ("lines.json", b'{"items": []}\n{"items": []}\n', "not valid JSON"),
        ("nouid.json", b'{"items": [{"title": "X"}]}', "has no 'uid'"),
    ],
)
def test_bad_input(lists_dir: Path, name: str, data: bytes | None, message: str) -> None:
    if data is None:
        raw = (lists_dir / "us_fbi_wanted" / FILE).read_bytes()
        data = raw[: len(raw) // 2]
    with pytest.raises(ParseError, match=message) as info:
        fbi_wanted.parse([SourceFile(name, data)], "us_fbi_wanted")
    assert name in str(info.value)
