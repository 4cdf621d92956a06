"""Evaluation sets, all derived in code from ``../shared/data`` with fixed seeds.

Two shapes:

- ``SearchCase``: a query screened against an index. ``expected`` is the list entity that must
  rank first (leave-one-alias-out), or ``None`` for clean names (every alert is false).
- ``PairCase``: two records and whether they are the same party (transliteration pairs,
  record-linkage pairs).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import itertools
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.corpus import EVAL, Party, entity_party, ftm_schema, name_key
from tamiz.model import Entity, NameKind

SEED = 20260227

ALIAS_KINDS = (NameKind.AKA, NameKind.WEAK, NameKind.FORMER)
TRANSLIT_TOKEN_SETS = ("arabic", "chinese", "hebrew", "japanese", "katakana", "korean", "russian")


@dataclass(frozen=True, slots=True)
class SearchCase:
    query: Party
    expected: str | None  # entity that must rank first; None = clean name
    group: str  # evaluation set
    kind: str = ""  # alias kind, or sub-set
    fold: int = 0
    drop: str | None = None  # name_key of the alias held out of ``expected``
    # Held-out alias shares a word with a name the entity keeps (a spelling or partial form
    # of it) rather than being a different name altogether; None when not an alias case.
    related: bool | None = None


@dataclass(frozen=True, slots=True)
class PairCase:
    left: Party
    right: Party
    label: bool
    group: str
    kind: str = ""  # how a non-match was drawn (random, shuffled, same name part)


def _rng(*parts: object) -> random.Random:
    return random.Random(f"{SEED}:{':'.join(map(str, parts))}")


def _sample(items: list, n: int | None, *seed: object) -> list:
    if n is None or n >= len(items):
        return items
    return _rng(*seed).sample(items, n)


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


# -- leave-one-alias-out -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AliasSet:
    cases: list[SearchCase]
    folds: int
    skipped_same_as_other_name: int  # aliases equal (normalised) to another name: trivial


def alias_cases(
    entities: Sequence[Entity],
    group: str,
    *,
    kinds: Sequence[NameKind] = ALIAS_KINDS,
    folds: int = 10,
    sample: int | None = None,
) -> AliasSet:
    """One case per alias of ``kinds`` (a.k.a., weak, former) of every entity.

    The held-out alias is removed from its entity (every name with the same normalised form),
    and the query is the alias with the entity's schema. Aliases that normalise to the same
    form as a name that would stay (typically the primary name with other punctuation) are
    not held out: finding them says nothing. Aliases of one entity are spread over the folds,
    so a fold removes at most one alias per entity unless the entity has more than ``folds``.
    """
    cases: list[SearchCase] = []
    skipped = 0
    for entity in entities:
        other_keys = {name_key(n.full) for n in entity.names if n.kind not in ALIAS_KINDS}
        seen: set[str] = set()
        held: list[tuple[str, str, str]] = []  # (key, text, kind)
        for name in entity.names:
            if name.kind not in kinds:
                continue
            key = name_key(name.full)
            if not key or key in seen:
                continue
            seen.add(key)
            if key in other_keys:
                skipped += 1
                continue
            held.append((key, name.full, name.kind.value))
        offset = _stable_int(entity.id)
        for i, (key, text, kind) in enumerate(held):
            query = Party(schema=ftm_schema(entity.schema), names=(text,))
            other_words = {
                w for n in entity.names if name_key(n.full) != key for w in _words(n.full)
            }
            cases.append(
                SearchCase(
                    query,
                    entity.id,
                    group,
                    kind,
                    fold=(offset + i) % folds,
                    drop=key,
                    related=bool(_words(text) & other_words),
                )
            )
    cases = _sample(cases, sample, "alias", group)
    return AliasSet(cases, folds, skipped)


def _words(text: str) -> set[str]:
    """Words of a name in Latin transcription, two letters or more."""
    from anyascii import anyascii

    return {w for w in name_key(anyascii(text)).split() if len(w) > 1}


def fold_entities(
    entities: Sequence[Entity], cases: Iterable[SearchCase], fold: int
) -> list[Entity]:
    """The entities of one fold: every alias held out in that fold removed."""
    from benchmarks.corpus import drop_alias

    drops: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        if case.fold == fold and case.expected and case.drop:
            drops[case.expected].append(case.drop)
    out = []
    for entity in entities:
        for key in drops.get(entity.id, ()):
            entity = drop_alias(entity, key)
        out.append(entity)
    return out


def held_out_party(entity: Entity, cases: Iterable[SearchCase], fold: int) -> Party:
    """The record of ``entity`` as the fold's index holds it (for pair-scoring baselines)."""
    drops = {c.drop for c in cases if c.fold == fold and c.expected == entity.id and c.drop}
    party = entity_party(entity)
    if not drops:
        return party
    names = tuple(n for n in party.names if name_key(n) not in drops)
    weak = tuple(n for n in party.weak_names if name_key(n) not in drops)
    return Party(
        party.schema, names, weak, party.birth_dates, party.countries, party.gender, party.ref
    )


# -- transliteration pairs ---------------------------------------------------------------


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def translit_pairs(per_set: int | None = 500, root: Path = EVAL) -> list[PairCase]:
    """Native-script name ↔ Latin spelling, positive pairs per script, plus as many shuffled
    (wrong) pairs from the same set, so a matcher that says "yes" to any cross-script pair is
    visible. Left is the native-script side (the query), right the Latin side."""
    sets: dict[str, list[tuple[str, str]]] = {}
    for lang in TRANSLIT_TOKEN_SETS:
        rows = _read_tsv(root / "translit" / f"wikidata_{lang}_token_pairs_dev.tsv")
        sets[f"wikidata-{lang}"] = [(r["native"], r["latin"]) for r in rows]
    rows = _read_tsv(root / "translit" / "arabic_fullname_romanizations_dev.tsv")
    sets["arabic-fullname"] = [(r["arabic_key"], r["latin"]) for r in rows]
    with (root / "translit" / "ar2en-eval.txt").open(encoding="utf-8") as fh:
        sets["ar2en"] = [tuple(line.rstrip("\n").split("\t")[:2]) for line in fh if "\t" in line]

    out: list[PairCase] = []
    for group, pairs in sets.items():
        pairs = [(n.strip(), latin.strip()) for n, latin in pairs if n.strip() and latin.strip()]
        chosen = _sample(pairs, per_set, "translit", group)
        for native, latin in chosen:
            out.append(PairCase(_person(native), _person(latin), True, group))
        # Wrong pairs: each native name against the Latin side of another sampled pair whose
        # Latin spelling differs (a derangement of the sample).
        latins = [latin for _, latin in chosen]
        rng = _rng("translit-neg", group)
        shuffled = latins[:]
        rng.shuffle(shuffled)
        for (native, latin), other in zip(chosen, shuffled, strict=True):
            if name_key(other) != name_key(latin):
                out.append(PairCase(_person(native), _person(other), False, group, "shuffled"))
    return out


def _person(name: str, **kw: object) -> Party:
    return Party(schema="Person", names=(name,), **kw)  # type: ignore[arg-type]


# -- clean names -------------------------------------------------------------------------


def _country(text: str | None) -> str | None:
    if not text:
        return None
    from tamiz.countries import country_code

    return country_code(text)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [{k.strip(): (v or "").strip() for k, v in r.items()} for r in csv.DictReader(fh)]


def clean_name_cases(
    per_set: int | None = None,
    census_names: int = 2000,
    *,
    name_only_too: bool = True,
    root: Path = EVAL,
) -> list[SearchCase]:
    """Names of people on no list.

    ``vr-global``/``vr-us`` (OpenSanctions screening fixtures) carry date of birth, gender and
    nationality, used in the query as a screener would; ``… name only`` screens the same names
    without them. ``census`` combines US census surnames (drawn by frequency) with popular
    forenames of ~100 countries (romanised).
    """
    out: list[SearchCase] = []
    for variant in ("global", "us"):
        rows = _read_csv(root / "negatives" / f"vr_negatives_{variant}.csv")
        rows = _sample(rows, per_set, "vr", variant)
        for row in rows:
            name = row["full_name"]
            if not name:
                continue
            dob = row.get("date_of_birth") or ""
            country = _country(row.get("nationality"))
            gender = row.get("gender") or None
            full = Party(
                "Person",
                (name,),
                birth_dates=(dob,) if _iso_date(dob) else (),
                countries=(country,) if country else (),
                gender=gender if gender in ("male", "female") else None,
            )
            out.append(SearchCase(full, None, f"vr-{variant}"))
            if name_only_too:
                out.append(SearchCase(_person(name), None, f"vr-{variant} name only"))
    for name in census_full_names(census_names, root):
        out.append(SearchCase(_person(name), None, "census"))
    return out


def census_full_names(n: int, root: Path = EVAL) -> list[str]:
    """``n`` full names: a popular forename + a US surname drawn in proportion to its count."""
    if n <= 0:
        return []
    with gzip.open(root / "negatives" / "us_census_2010_surnames.csv.gz", "rt") as fh:
        rows = [r for r in csv.DictReader(fh) if r["name"] and r["count"].isdigit()]
    surnames = [r["name"].title() for r in rows]
    weights = [int(r["count"]) for r in rows]
    forenames = sorted(
        {
            r["Romanized Name"]
            for r in _read_csv(root / "negatives" / "common-forenames-by-country.csv")
            if r.get("Romanized Name")
        }
    )
    rng = _rng("census")
    chosen = rng.choices(surnames, weights=weights, k=n)
    return [f"{rng.choice(forenames)} {surname}" for surname in chosen]


# -- record linkage pairs ----------------------------------------------------------------


def _iso_date(text: str) -> str | None:
    text = (text or "").strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y", "%m/%d/%y"):
        try:
            value = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if fmt == "%m/%d/%y" and value.year > dt.date.today().year:
            value = value.replace(year=value.year - 100)
        return value.isoformat()
    return None


def febrl_pairs(matches: int | None = 3000, root: Path = EVAL) -> list[PairCase]:
    """Febrl person records: ``rec-N-org`` ↔ ``rec-N-dup-k`` are the same person.

    Non-matches, as many as matches of each kind: random pairs of different records
    (kind ``random``), and pairs of different records sharing the surname or the given name
    (kind ``same name part``), which is where a name matcher can actually go wrong. Names are
    given + surname; the date of birth goes along (it is corrupted in some duplicates too).
    """
    records: dict[str, Party] = {}
    person: dict[str, str] = {}  # record key -> person key
    for path in sorted((root / "records").glob("dataset*.csv")):
        # dataset4a holds the originals of dataset4b's duplicates: one family of records.
        family = re.sub(r"(\d)[ab]$", r"\1", path.stem)
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, skipinitialspace=True):
                rec = (row.get("rec_id") or "").strip()
                m = re.fullmatch(r"rec-(\d+)-(org|dup-\d+)", rec)
                given = (row.get("given_name") or "").strip()
                surname = (row.get("surname") or "").strip()
                name = " ".join(p for p in (given, surname) if p)
                if not m or not name:
                    continue
                dob = _iso_date(row.get("date_of_birth") or "")
                key = f"{family}:{rec}"
                records[key] = Party("Person", (name,), birth_dates=(dob,) if dob else (), ref=rec)
                person[key] = f"{family}:{m.group(1)}"
    by_person: dict[str, list[str]] = defaultdict(list)
    for key, who in person.items():
        by_person[who].append(key)
    positives = []
    for keys in by_person.values():
        originals = [k for k in keys if k.endswith("-org")]
        duplicates = [k for k in keys if "-dup-" in k]
        positives.extend(itertools.product(originals, duplicates))
    positives = _sample(sorted(positives), matches, "febrl-pos")
    out = [PairCase(records[a], records[b], True, "febrl") for a, b in positives]

    def same_person(a: str, b: str) -> bool:
        return person[a] == person[b]

    keys = sorted(records)
    rng = _rng("febrl-neg")
    n = len(positives)
    random_neg: list[tuple[str, str]] = []
    while len(random_neg) < n:
        a, b = rng.sample(keys, 2)
        if not same_person(a, b):
            random_neg.append((a, b))
    out += [PairCase(records[a], records[b], False, "febrl", "random") for a, b in random_neg]

    by_part: dict[str, list[str]] = defaultdict(list)
    for key, party in records.items():
        for part in party.names[0].split():
            by_part[part].append(key)
    hard_neg: list[tuple[str, str]] = []
    attempts = 0
    while len(hard_neg) < n and attempts < 50 * n:
        attempts += 1
        a = rng.choice(keys)
        part = rng.choice(records[a].names[0].split())
        b = rng.choice(by_part[part])
        if a != b and not same_person(a, b):
            hard_neg.append((a, b))
    out += [PairCase(records[a], records[b], False, "febrl", "same name part") for a, b in hard_neg]
    return out


def senzing_pairs(root: Path = EVAL) -> list[PairCase]:
    """Senzing truth sets: within each test group (records built to look alike), every pair of
    records, a match when both are in the same true cluster."""
    base = root / "records" / "senzing_truthsets"
    parties: dict[tuple[str, str], Party] = {}
    for file in ("customers.csv", "watchlist.csv", "reference.csv"):
        for row in _read_csv(base / file):
            party = _senzing_party(row)
            if party is not None:
                parties[(row["DATA_SOURCE"], row["RECORD_ID"])] = party
    groups: dict[str, list[tuple[str, tuple[str, str]]]] = defaultdict(list)
    for row in _read_csv(base / "actual_truthset_key.csv"):
        key = (row["DATA_SOURCE"], row["RECORD_ID"])
        if key in parties:
            groups[row["TEST_GROUP"]].append((row["CLUSTER_ID"], key))
    out = []
    for members in groups.values():
        for (ca, a), (cb, b) in itertools.combinations(members, 2):
            out.append(PairCase(parties[a], parties[b], ca == cb, "senzing", "same test group"))
    return out


def _senzing_party(row: dict[str, str]) -> Party | None:
    names = []
    full = row.get("PRIMARY_NAME_FULL") or row.get("PRIMARY_NAME_ORG")
    if full:
        names.append(full)
    parts = [row.get(k, "") for k in ("PRIMARY_NAME_FIRST", "PRIMARY_NAME_MIDDLE")]
    given = " ".join(p for p in parts if p)
    if row.get("PRIMARY_NAME_LAST"):
        names.append(f"{row['PRIMARY_NAME_LAST']}, {given}" if given else row["PRIMARY_NAME_LAST"])
    elif given:
        names.append(given)
    for extra in ("NATIVE_NAME_FULL", "SECONDARY_NAME_ORG"):
        if row.get(extra):
            names.append(row[extra])
    if not names:
        return None
    org = row.get("RECORD_TYPE") in ("ORGANIZATION", "BUSINESS") or (
        row.get("PRIMARY_NAME_ORG") and not row.get("PRIMARY_NAME_FULL")
    )
    dob = _iso_date(row.get("DATE_OF_BIRTH", ""))
    country_columns = ("ADDR_COUNTRY", "PASSPORT_COUNTRY", "NATIONAL_ID_COUNTRY")
    countries = {c for c in (_country(row.get(k)) for k in country_columns) if c}
    gender = {"M": "male", "F": "female"}.get(row.get("GENDER", "").upper())
    return Party(
        "Organization" if org else "Person",
        tuple(dict.fromkeys(names)),
        birth_dates=(dob,) if dob else (),
        countries=tuple(sorted(countries)),
        gender=gender,
        ref=row.get("RECORD_ID"),
    )


# -- realistic query stream for the speed benchmark --------------------------------------

_VOWELS = "aeiou"


def noisy(name: str, rng: random.Random) -> str:
    """A plausible mistyped / reformatted version of a list name."""
    tokens = name.replace(",", " ").split()
    if not tokens:
        return name
    op = rng.randrange(6)
    if op == 0 and len(tokens) > 1:
        rng.shuffle(tokens)
    elif op == 1 and len(tokens) > 2:
        tokens.pop(rng.randrange(len(tokens)))
    elif op in (2, 3):
        i = rng.randrange(len(tokens))
        t = tokens[i]
        if len(t) > 3:
            j = rng.randrange(1, len(t) - 1)
            dropped, swapped = t[:j] + t[j + 1 :], t[:j] + t[j + 1] + t[j] + t[j + 2 :]
            t = dropped if op == 2 else swapped
        tokens[i] = t
    elif op == 4:
        i = rng.randrange(len(tokens))
        tokens[i] = "".join(
            rng.choice(_VOWELS) if ch.lower() in _VOWELS and rng.random() < 0.3 else ch
            for ch in tokens[i]
        )
    text = " ".join(tokens)
    return text.lower() if rng.random() < 0.5 else text.title()


def speed_queries(entities: Sequence[Entity], n: int, root: Path = EVAL) -> list[Party]:
    """Half list names (primary or alias, with noise), half clean names, shuffled."""
    rng = _rng("speed")
    named = [e for e in entities if e.names]
    out: list[Party] = []
    for entity in rng.sample(named, min(n // 2, len(named))):
        name = rng.choice(entity.names).full
        out.append(Party(ftm_schema(entity.schema), (noisy(name, rng),)))
    clean = [c.query for c in clean_name_cases(per_set=n // 8, census_names=n // 4, root=root)]
    out += clean[: n - len(out)]
    rng.shuffle(out)
    return out


def describe_counts(cases: Iterable[SearchCase | PairCase]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for case in cases:
        counts[case.group] += 1
    return dict(counts)
