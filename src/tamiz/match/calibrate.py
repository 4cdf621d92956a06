"""Fit and check the name-score coefficients (developer tool, not used at run time).

    python -m tamiz.match.calibrate ../shared/data            # fit, print coefficients
    python -m tamiz.match.calibrate ../shared/data --check    # evaluate the shipped ones

Positive pairs: leave-one-alias-out on the OFAC SDN 2021-07-07 set and the UN list (each
alias against the entity's other names, the alias itself hidden from the index), Arabic
full names against their attested Latin spellings, and nickname pairs. Negative pairs: the
top candidates retrieved for clean names (``negatives/vr_negatives_*.csv``, census surnames,
random forename + surname combinations) from an index of all lists.

It prints recall and alert rates at several thresholds and a Platt fit of the name evidence
(bits) to the labels, i.e. the ``L0``/``scale`` of ``NAME_PARAMS`` that make the score read
as a probability on these (class-balanced) pairs.
"""

from __future__ import annotations

import csv
import gzip
import random
import sys
import time
from pathlib import Path

import numpy as np

from tamiz.match import scoring
from tamiz.match.engine import MatchIndex
from tamiz.match.query import Query, QueryError
from tamiz.model import Entity, NameKind, SourceFile
from tamiz.sources import FORMATS

FEATURES = ("q_cov", "n_cov", "bits", "conflict", "q_left", "n_left", "quality", "one_token")
KIND_FEATURES = ("weak", "former")
# Sign each coefficient must have (monotonic score; retrieval bounds rely on it).
SIGNS = {
    "q_cov": 1,
    "n_cov": 1,
    "bits": 1,
    "conflict": -1,
    "q_left": -1,
    "n_left": -1,
    "quality": 1,
    "one_token": -1,
    "weak": -1,
    "former": -1,
}

LIST_FILES = (
    ("ofac-csv", "us_ofac_sdn", ("us_ofac_sdn/history/sdn-2024-05-03.csv",)),
    ("ofac-csv", "us_ofac_cons", ("us_ofac_cons/2025-12-19/*.csv",)),
    ("un-xml", "un_sc", ("un_sc/consolidated-2026-02-27.xml",)),
    ("uk-ods", "gb_fcdo", ("gb_fcdo/*.ods",)),
    ("dfat-xlsx", "au_dfat", ("au_dfat/*.xlsx",)),
    ("sema-xml", "ca_sema", ("ca_sema/*.xml",)),
    ("bis-dpl", "us_bis_dpl", ("us_bis_dpl/*.txt",)),
    ("eu-fsf-xml", "eu_fsf", ("eu_fsf/*.xml",)),
    ("uk-conlist-csv", "gb_hmt", ("gb_hmt/*.csv",)),
    ("fbi-wanted-json", "us_fbi_wanted", ("us_fbi_wanted/*.json",)),
)


def load_list(lists: Path, fmt: str, dataset: str, patterns: tuple[str, ...]) -> list[Entity]:
    files = sorted(p for pat in patterns for p in lists.glob(pat))
    parse = FORMATS[fmt].parser()
    return list(parse([SourceFile(p.name, p.read_bytes()) for p in files], dataset).entities)


def load_all(lists: Path) -> list[Entity]:
    out: list[Entity] = []
    for fmt, ds, pats in LIST_FILES:
        try:
            out.extend(load_list(lists, fmt, ds, pats))
        except (ImportError, KeyError) as exc:  # a parser not written yet
            print(f"skipping {ds}: {exc}", file=sys.stderr)
    return out


def alias_queries(index: MatchIndex, dataset: str) -> list[tuple[str, int, int]]:
    """(alias text, entity number, alias name number) for every non-primary name of
    entities that have another name to be found by."""
    ix = index._ix
    by_entity: dict[int, list[int]] = {}
    for n, e in enumerate(ix.name_entity.tolist()):
        by_entity.setdefault(e, []).append(n)
    out = []
    ds = ix.dataset_names.index(dataset)
    for e, names in by_entity.items():
        if int(ix.entity_dataset[e]) != ds or len(names) < 2:
            continue
        for n in names:
            if ix.name_kind[n] != list(NameKind).index(NameKind.PRIMARY):
                out.append((ix.name_text[n], e, n))
    return out


def loo_outcome(index: MatchIndex, text: str, e: int, n: int, dataset: str, threshold: float):
    """Leave-one-alias-out: (found first above threshold, best result for the entity)."""
    try:
        q = Query((text,))
    except QueryError:
        return False, None
    rs = index.search(
        q, threshold=min(threshold, 0.2), limit=5, datasets={dataset}, _exclude_names={n}
    )
    eid = index._ix.entity_ids[e]
    mine = next((r for r in rs if r.entity_id == eid), None)
    ok = bool(mine) and mine.score >= threshold and mine.score >= rs[0].score - 1e-9
    return ok, mine


def clean_names(shared: Path, n_census: int = 3000, n_combo: int = 1000) -> list[str]:
    neg = shared / "eval" / "negatives"
    names: list[str] = []
    for fname in ("vr_negatives_global.csv", "vr_negatives_us.csv"):
        with open(neg / fname, encoding="utf-8") as fh:
            names.extend(row["full_name"] for row in csv.DictReader(fh) if row["full_name"])
    rng = random.Random(7)
    with gzip.open(neg / "us_census_2010_surnames.csv.gz", "rt", encoding="utf-8") as fh:
        surnames = [row["name"] for row in csv.DictReader(fh)]
    names.extend(rng.sample(surnames, n_census))
    with open(neg / "common-forenames-by-country.csv", encoding="utf-8-sig") as fh:
        fore = [r["Romanized Name"] for r in csv.DictReader(fh) if r["Romanized Name"]]
    with open(neg / "common-surnames-by-country.csv", encoding="utf-8-sig") as fh:
        sur = [r["Romanized Name"] for r in csv.DictReader(fh) if r["Romanized Name"]]
    names.extend(f"{rng.choice(fore)} {rng.choice(sur)}" for _ in range(n_combo))
    return names


def variant_pairs(shared: Path, n: int = 3000) -> list[tuple[str, str]]:
    """Positive name pairs with spelling variation: Arabic names and their Latin spellings,
    Latin spellings of one Arabic name, Febrl corrupted duplicates, nicknames."""
    rng = random.Random(11)
    tr = shared / "eval" / "translit"
    by_key: dict[str, list[str]] = {}
    with open(tr / "arabic_fullname_romanizations_dev.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if " " in row["arabic_key"].strip():
                by_key.setdefault(row["arabic_key"], []).append(row["latin"])
    keys = list(by_key)
    rng.shuffle(keys)
    pairs: list[tuple[str, str]] = []
    for k in keys[:n]:
        pairs.append((k, rng.choice(by_key[k])))
    multi = [k for k in keys if len(set(by_key[k])) > 1]
    for k in multi[:n]:
        a, b = rng.sample(sorted(set(by_key[k])), 2)
        pairs.append((a, b))
    # Febrl: originals and corrupted duplicates.
    recs: dict[str, str] = {}
    with open(shared / "eval" / "records" / "dataset2.csv", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if len(row) > 2 and row[0].startswith("rec-"):
                name = f"{row[1].strip()} {row[2].strip()}".strip()
                if name:
                    recs[row[0].strip()] = name
    for rid, name in recs.items():
        if "-dup-" in rid:
            org = recs.get(rid.split("-dup-")[0] + "-org")
            if org and len(pairs) < 3 * n:
                pairs.append((name, org))
    # Token-pair dev data glued into two-token names: native script vs Latin.
    for lang in ("russian", "hebrew", "korean", "chinese"):
        rows = []
        with open(tr / f"wikidata_{lang}_token_pairs_dev.tsv", encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]
        rng.shuffle(rows)
        for a, b in zip(rows[0:600:2], rows[1:600:2], strict=False):
            pairs.append((f"{a['native']} {b['native']}", f"{a['latin']} {b['latin']}"))
    return pairs


def evidence_of(result) -> float:
    """Name evidence in bits, including the name-kind adjustment."""
    f = result.explanation.features
    kind = scoring.KIND_ADJUST.get(result.explanation.name_kind, 0.0)
    return f["evidence_bits"] + kind * scoring.NAME_PARAMS["scale"]


def platt(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit p = sigmoid((x - L0) / scale), classes weighted equally (gradient descent on
    standardised x; robust to separable data)."""
    x = np.clip(x, -30.0, 60.0)
    mu, sd = float(x.mean()), float(x.std() or 1.0)
    xs = (x - mu) / sd
    w = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, len(y) - y.sum()))
    a, b = 1.0, 0.0
    for _ in range(20000):
        p = 1 / (1 + np.exp(-np.clip(a * xs + b, -30, 30)))
        ga = np.sum(w * (p - y) * xs) + 1e-4 * a
        gb = np.sum(w * (p - y))
        a, b = a - 2.0 * ga, b - 2.0 * gb
    # a * (x - mu) / sd + b = (x - L0) / scale
    scale = sd / a
    return mu - b * scale, scale


def main(argv: list[str]) -> None:
    shared = Path(argv[0])
    n_alias = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 2000
    lists = shared / "lists"
    t0 = time.time()
    everything = load_all(lists)
    index = MatchIndex.build(everything)
    sdn21 = load_list(lists, "ofac-csv", "us_ofac_sdn_2021", ("us_ofac_sdn/2021-07-07/*.csv",))
    un = [e for e in everything if e.dataset == "un_sc"]
    loo_index = MatchIndex.build([*sdn21, *un])
    print(f"indexes built in {time.time() - t0:.0f}s", file=sys.stderr)
    rng = random.Random(3)
    thresholds = (0.5, 0.6, 0.7, 0.8, 0.9)

    # Positives: leave-one-alias-out. Record own-entity score and the best other score.
    x_pos: list[float] = []
    for ds in ("us_ofac_sdn_2021", "un_sc"):
        queries = alias_queries(loo_index, ds)
        queries = rng.sample(queries, min(len(queries), n_alias))
        got = dict.fromkeys(thresholds, 0)
        rel = dict.fromkeys(thresholds, 0)
        n_rel = 0
        ix = loo_index._ix
        for text, e, n in queries:
            ok, mine = loo_outcome(loo_index, text, e, n, ds, 0.0)
            if mine is not None:
                x_pos.append(evidence_of(mine))
            # "Related": the alias shares a word with the entity's other names.
            others = {v for m in loo_index.names_of(e) if m != n for v in ix.name_toks[m]}
            related = bool(others & set(ix.name_toks[n]))
            n_rel += related
            for t in thresholds:
                hit = bool(ok and mine.score >= t)
                got[t] += hit
                rel[t] += hit and related
        line = "  ".join(f"{t}: {got[t] / len(queries):.4f}" for t in thresholds)
        print(f"LOO recall {ds} ({len(queries)}): {line}")
        line = "  ".join(f"{t}: {rel[t] / max(1, n_rel):.4f}" for t in thresholds)
        print(f"  aliases sharing a word with another name ({n_rel}): {line}")

    from tamiz.match.engine import compare

    variants = variant_pairs(shared)
    got = dict.fromkeys(thresholds, 0)
    for a, b in variants:
        try:
            r = compare(Query((a,)), Query((b,)))
        except QueryError:
            continue
        x_pos.append(evidence_of(r))
        for t in thresholds:
            got[t] += r.score >= t
    line = "  ".join(f"{t}: {got[t] / len(variants):.4f}" for t in thresholds)
    print(f"variant pair recall ({len(variants)}): {line}")

    x_neg: list[float] = []
    negs = clean_names(shared)
    negs = negs[:2000] + rng.sample(negs[2000:], 2000)
    got = dict.fromkeys(thresholds, 0)
    for text in negs:
        try:
            q = Query((text,))
        except QueryError:
            continue
        rs = index.search(q, threshold=0.02, limit=3)
        for r in rs:
            x_neg.append(evidence_of(r))
        for t in thresholds:
            got[t] += bool(rs and rs[0].score >= t)
    line = "  ".join(f"{t}: {1000 * got[t] / len(negs):.1f}" for t in thresholds)
    print(f"alerts per 1000 clean names ({len(negs)}): {line}")

    x = np.array(x_pos + x_neg)
    y = np.array([1.0] * len(x_pos) + [0.0] * len(x_neg))
    # Reliability: among candidate pairs in each score band (classes weighted equally),
    # the share that are the same party.
    p = scoring.NAME_PARAMS
    z = np.array([scoring.saturate((v - p["L0"]) / p["scale"]) for v in x])
    score = 1 / (1 + np.exp(-z))
    w = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, len(y) - y.sum()))
    print("score band: share of same-party pairs (classes weighted equally), pairs")
    for lo in (0.0, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95):
        hi = {0.0: 0.1, 0.1: 0.3, 0.3: 0.5, 0.5: 0.7, 0.7: 0.8, 0.8: 0.9, 0.9: 0.95}.get(lo, 1.01)
        m = (score >= lo) & (score < hi)
        if m.any():
            share = float((w[m] * y[m]).sum() / w[m].sum())
            print(f"  [{lo:.2f}, {min(hi, 1.0):.2f}): {share:.3f}  ({int(m.sum())})")
    l0, scale = platt(x, y)
    print(f"Platt fit on {len(x_pos)} positive / {len(x_neg)} negative name pairs:")
    print(f'    "L0": {l0:.2f}, "scale": {scale:.2f}')


if __name__ == "__main__":
    main(sys.argv[1:])
