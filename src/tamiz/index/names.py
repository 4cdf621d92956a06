"""Name knowledge shipped as package data: frequency prior, variant groups, nicknames."""

from __future__ import annotations

import functools
import gzip
from importlib import resources

# Information (bits) assumed for a token the prior does not know: a rare name.
UNKNOWN_BITS = 17.0
# Information of a generic organisation word (bank, foundation, brigade...).
ORG_WORD_BITS = 8.0


def _lines(name: str) -> list[str]:
    raw = resources.files("tamiz.data").joinpath("names", name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return [ln for ln in raw.decode("utf-8").splitlines() if ln and not ln.startswith("#")]


@functools.cache
def prior_table() -> dict[str, float]:
    table: dict[str, float] = {}
    for line in _lines("name_priors.tsv.gz"):
        key, _, bits = line.partition("\t")
        table[key] = float(bits)
    return table


def prior_bits(text: str, skel: str, abjad: bool = False) -> float:
    """General-population information of a token in bits (lower = more common)."""
    table = prior_table()
    bits = UNKNOWN_BITS if abjad else table.get(text, UNKNOWN_BITS)
    # The skeleton key stands for the Arabic names a Latin spelling may render; a spelling
    # much longer than its skeleton has letters the key drops (Hamidawi is not Hamid).
    if abjad or (len(skel) >= 3 and len(text) <= 2 * len(skel) + 1):
        bits = min(bits, table.get("~" + skel, UNKNOWN_BITS))
    if text in org_word_concepts():
        bits = min(bits, ORG_WORD_BITS)
    return bits


@functools.cache
def org_word_lines() -> list[tuple[str, str, list[str]]]:
    """(concept, class, spellings) per line of ``org_words.txt``; class is ``legal``,
    ``generic`` or ``word``."""
    out = []
    for line in _lines("org_words.txt"):
        head, _, rest = line.partition(":")
        concept, _, cls = head.strip().partition(" ")
        spellings = [s.strip().casefold() for s in rest.split(",") if s.strip()]
        out.append((concept, cls.strip(), spellings))
    return out


@functools.cache
def org_word_concepts() -> frozenset[str]:
    """Concept tokens of generic organisation words (class word): low prior weight."""
    return frozenset(concept for concept, cls, _ in org_word_lines() if cls == "word")


@functools.cache
def legal_form_concepts() -> frozenset[str]:
    """Concept tokens of legal forms proper (ltd, llc, jsc), left out of acronyms."""
    return frozenset(concept for concept, cls, _ in org_word_lines() if cls == "legal")


@functools.cache
def variant_groups() -> dict[str, frozenset[int]]:
    groups: dict[str, set[int]] = {}
    for gid, line in enumerate(_lines("variants.txt")):
        for word in line.split():
            groups.setdefault(word, set()).add(gid)
    return {k: frozenset(v) for k, v in groups.items()}


@functools.cache
def nickname_pairs() -> frozenset[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for line in _lines("nicknames.txt"):
        name, *nicks = line.split()
        for nick in nicks:
            pairs.add((name, nick))
            pairs.add((nick, name))
    # Two nicknames of the same name are not equivalent (al: alexander / albert), so only
    # name <-> nickname pairs are kept.
    return frozenset(pairs)


def are_variants(a: str, b: str) -> bool:
    groups = variant_groups()
    ga = groups.get(a)
    return bool(ga) and bool(ga & groups.get(b, frozenset()))


def are_nicknames(a: str, b: str) -> bool:
    return (a, b) in nickname_pairs()
