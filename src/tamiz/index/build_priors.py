"""Build the general name-frequency prior shipped as ``tamiz/data/names/name_priors.tsv.gz``.

Developer tool, not used at run time::

    python -m tamiz.index.build_priors ../shared/data/eval/negatives ../shared/data/eval/translit

Sources (see ``tamiz/data/names/NOTICE.md``): US Census 2010 surnames (public domain), popular
forenames and surnames by country (CC0), English given names and nicknames (the names of
``variants/english_nicknames.csv``, Apache-2.0, as a floor of about 10.5 / 12 bits), and the
Latin side of the Arabic full-name romanisation set (MIT/CC0) for the frequency of Arabic names
in Latin spelling.

A token's prior is the share of people (world-wide, roughly) whose name contains it; stored
as information in bits, ``-log2(p)``, rounded to 0.1. Abjad tokens have no Latin text to look
up, so the file also keys the Arabic-name frequencies by skeleton (lines starting ``~``).
"""

from __future__ import annotations

import collections
import contextlib
import csv
import gzip
import io
import math
import sys
from pathlib import Path

from tamiz.index.normalize import tokenize

OUT = Path(__file__).resolve().parents[1] / "data" / "names" / "name_priors.tsv.gz"
MAX_BITS = 17.0


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(t.text, t.skel) for t in tokenize(text, organisation=False) if not t.is_number]


def build(negatives: Path, translit: Path) -> dict[str, float]:
    prob: dict[str, float] = collections.defaultdict(float)

    def bump(key: str, p: float) -> None:
        if p > prob[key]:
            prob[key] = p

    # US census: count / US population. US residents are a fraction of those screened,
    # hence the damping.
    with gzip.open(negatives / "us_census_2010_surnames.csv.gz", "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            p = float(row["count"]) / 300e6 * 0.5
            for tok, _ in _tokens(row["name"]):
                bump(tok, p)

    # Popular names by country: the share when given, else a Zipf estimate from the rank.
    for fname, share_top in (
        ("common-forenames-by-country.csv", 0.02),
        ("common-surnames-by-country.csv", 0.03),
    ):
        with open(negatives / fname, encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                rank = row.get("Rank") or row.get("Index") or "50"
                try:
                    r = max(1, int(rank))
                except ValueError:
                    r = 50
                p = share_top / r**0.9
                pct = (row.get("Percent") or "").strip().rstrip("%")
                if pct:
                    with contextlib.suppress(ValueError):
                        p = float(pct) / 100
                p *= 0.3  # one country's population among all screened names
                for name in (row.get("Romanized Name"), row.get("Localized Name")):
                    for tok, _ in _tokens(name or ""):
                        bump(tok, p)

    # English given names (the nickname table's names): at least as common as a popular
    # forename of one country, so that Stephen or Edward is not taken for a rare name.
    nicknames = negatives.parent / "variants" / "english_nicknames.csv"
    if nicknames.exists():
        with open(nicknames, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for col, p in (("name1", 2.0**-10.5), ("name2", 2.0**-12)):
                    for tok, _ in _tokens(row.get(col) or ""):
                        bump(tok, p)

    # Arabic names in Latin spelling: frequency within that population, damped.
    counts: collections.Counter[str] = collections.Counter()
    skel_counts: collections.Counter[str] = collections.Counter()
    total = 0
    path = translit / "arabic_fullname_romanizations_dev.tsv"
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            n = int(row["count"] or 1)
            total += n
            for tok, _skel in _tokens(row["latin"]):
                counts[tok] += n
            for _tok, skel in _tokens(row["arabic_key"]):
                skel_counts[skel] += n
    for tok, n in counts.items():
        if n >= 3:
            bump(tok, n / total * 0.3)
    for skel, n in skel_counts.items():
        if n >= 3:
            bump("~" + skel, n / total * 0.3)

    return {
        k: round(-math.log2(p), 1) for k, p in prob.items() if p > 0 and -math.log2(p) < MAX_BITS
    }


def write(bits: dict[str, float], out: Path = OUT) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    for key in sorted(bits):
        buf.write(f"{key}\t{bits[key]:.1f}\n")
    with gzip.GzipFile(out, "wb", mtime=0) as fh:
        fh.write(buf.getvalue().encode())


if __name__ == "__main__":
    neg, tr = Path(sys.argv[1]), Path(sys.argv[2])
    table = build(neg, tr)
    write(table)
    print(f"{len(table)} entries -> {OUT}")
