"""The model's canonical form: what the store writes must read back identically."""

from __future__ import annotations

import pytest

from tamiz.model import (
    DateValue,
    Designation,
    Entity,
    Name,
    NameKind,
    Schema,
    entity_from_dict,
    entity_to_dict,
)
from tamiz.sources import DATASETS, FORMATS
from tamiz.store.fetch import files_from_paths, mirror_items


def _first_snapshot(lists_dir, dataset):
    items = mirror_items(lists_dir, [dataset])
    assert items, f"no mirror files for {dataset}"
    files = files_from_paths(items[-1].paths)
    return FORMATS[DATASETS[dataset].format].parser()(files, dataset)


@pytest.mark.parametrize("dataset", sorted(d for d in DATASETS if DATASETS[d].mirror))
def test_every_parsed_entity_round_trips(lists_dir, dataset):
    parsed = _first_snapshot(lists_dir, dataset)
    assert parsed.entities
    for entity in parsed.entities:
        again = entity_from_dict(entity_to_dict(entity))
        assert again == entity, entity.id
        assert again.fingerprint() == entity.fingerprint()


def test_fingerprint_changes_with_content():
    base = Entity(
        id="x:1",
        dataset="x",
        schema=Schema.PERSON,
        names=(Name("Jane Doe"),),
        birth_dates=(DateValue("1970", circa=True),),
        designations=(Designation("Authority", "P1"),),
    )
    variants = [
        Entity(
            id="x:1",
            dataset="x",
            schema=Schema.PERSON,
            names=(Name("Jane Doe", NameKind.AKA),),
            birth_dates=base.birth_dates,
            designations=base.designations,
        ),
        Entity(
            id="x:1",
            dataset="x",
            schema=Schema.PERSON,
            names=base.names,
            birth_dates=(DateValue("1970"),),
            designations=base.designations,
        ),
        Entity(
            id="x:1",
            dataset="x",
            schema=Schema.PERSON,
            names=base.names,
            birth_dates=base.birth_dates,
            designations=(Designation("Authority", "P2"),),
        ),
    ]
    prints = {base.fingerprint(), *(v.fingerprint() for v in variants)}
    assert len(prints) == 4
    # a date without a value (text only) survives the round trip
    textual = DateValue(None, text="1343 (islamic calendar)")
    assert entity_from_dict(
        entity_to_dict(
            Entity(
                id="x:2",
                dataset="x",
                schema=Schema.PERSON,
                names=base.names,
                birth_dates=(textual,),
            )
        )
    ).birth_dates == (textual,)
