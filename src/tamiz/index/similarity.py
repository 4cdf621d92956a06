"""Similarity of two name tokens, with the reason a reviewer can read.

``how`` is one of ``exact``, ``translit`` (variant table, or equal consonant skeletons when
either token was written in a non-Latin script), ``phonetic`` (equal skeletons of two Latin
tokens), ``nickname``, ``edit`` (typo distance), ``initial``. Numbers only match exactly.
"""

from __future__ import annotations

from rapidfuzz.distance import OSA

from tamiz.index.names import are_nicknames, are_variants
from tamiz.index.normalize import (
    ABJAD,
    HAN,
    HANGUL,
    SYLLABIC,
    TRANSLIT,
    Token,
    syllabic_skeleton,
)

MIN_SIMILARITY = 0.7
# Scripts whose romanisations vary so much that equal consonant skeletons are trusted.
LENIENT_SCRIPTS = frozenset((ABJAD, HANGUL))
# Arabic article (and "abu") written solid with the name: alzawahiri / zawahiri.
GLUED_PREFIXES = ("al", "el", "ul", "ad", "ar", "as", "ash", "at", "az", "an", "abu", "bin")
GLUED_PREFIXES += ("de", "del", "la", "le", "van", "von", "di", "da", "du", "dos", "das")
_GLUED_SET = frozenset(GLUED_PREFIXES)


def _glued(a: str, b: str) -> bool:
    """``a`` is ``b`` with an article or particle written solid in front (alzawahiri)."""
    d = len(a) - len(b)
    return d >= 2 and a.endswith(b) and a[:d] in _GLUED_SET


_KOREAN_STEPS = (
    ("yeo", "yo"),
    ("eo", "o"),
    ("eu", "u"),
    ("wo", "o"),
    ("kk", "k"),
    ("tt", "t"),
    ("pp", "p"),
    ("ss", "s"),
    ("jj", "ch"),
    ("sh", "s"),
    ("ch", "c"),
    ("j", "c"),
    ("g", "k"),
    ("b", "p"),
    ("d", "t"),
    ("r", "l"),
    ("ee", "i"),
    ("oo", "u"),
)


# Letters an abjad uses for foreign sounds: jim for a hard g (Ignatik), zay for a final s
# (Stammers), Hebrew pe for f, yod for j.
_ABJAD_ALTERNATIVES = (("J", "k"), ("z", "s"), ("b", "f"), ("y", "J"), ("f", "w"))


def abjad_variants(skel: str) -> set[str]:
    """Other skeletons an abjad word may stand for (each substitution applied everywhere)."""
    out = {skel}
    for a, b in _ABJAD_ALTERNATIVES:
        if a in skel:
            out |= {v.replace(a, b) for v in out}
        if len(out) > 16:
            break
    out.discard(skel)
    return out


def korean_key(text: str) -> str:
    """Spelling key of a romanised Korean syllable (Revised or McCune-Reischauer, with or
    without breve): jeong/jong/chong -> cong, gyeong/kyong -> kyong."""
    for a, b in _KOREAN_STEPS:
        if a in text:
            text = text.replace(a, b)
    return text


def _edit_similarity(a: str, b: str) -> float:
    longest = max(len(a), len(b))
    if longest == 0:
        return 0.0
    d = OSA.distance(a, b, score_cutoff=3)
    if d > 3:
        return 0.0
    # A single edit in a short token is much more damaging than in a long one.
    if longest <= 4 and d >= 1:
        return 0.0
    if longest <= 5 and d >= 2:
        return 0.0
    return 1.0 - d / longest


def token_similarity(q: Token, v: Token) -> tuple[float, str]:
    """(similarity in [0, 1], how). Below MIN_SIMILARITY the tokens count as different."""
    a, b = q.text, v.text
    if a == b:
        return 1.0, "exact"
    if q.is_number or v.is_number:
        return 0.0, "number"
    if len(a) == 1 or len(b) == 1:
        if a[0] == b[0]:
            return 0.8, "initial"
        return 0.0, "initial"
    if are_variants(a, b):
        return 0.95, "translit"
    if are_nicknames(a, b):
        return 0.9, "nickname"
    if (len(b) >= 4 and _glued(a, b)) or (len(a) >= 4 and _glued(b, a)):
        return 0.95, "translit"
    if q.script == HANGUL or v.script == HANGUL:
        # Korean syllables: vowels matter; RR and McCune-Reischauer spellings meet on a key.
        if korean_key(a) == korean_key(b):
            return 0.95, "translit"
        return 0.0, "translit"
    if q.script == SYLLABIC or v.script == SYLLABIC:
        ka, kb = syllabic_skeleton(a), syllabic_skeleton(b)
        if ka == kb and len(ka) >= 2:
            return (0.95 if len(ka) >= 3 else 0.9), "translit"
        if (
            min(len(ka), len(kb)) >= 3
            and ka[0] == kb[0]
            and OSA.distance(ka, kb, score_cutoff=1) <= 1
        ):
            return 0.85, "translit"
        edit = _edit_similarity(a.replace("r", "l"), b.replace("r", "l"))
        return (edit, "edit") if edit >= MIN_SIMILARITY else (0.0, "translit")
    if q.script == HAN or v.script == HAN:
        # Pinyin syllables are short and standard: a letter off is another name.
        return 0.0, "translit"
    edit = _edit_similarity(a, b)
    sk_a, sk_b = q.skel, v.skel
    if v.script in LENIENT_SCRIPTS and q.script not in LENIENT_SCRIPTS:
        # A Latin query against a list name in its native script: the skeleton alone is
        # weak evidence (vowels are missing on one side only).
        if sk_a == sk_b and len(sk_a) >= 4:
            return 0.8, "translit"
        return (edit, "edit") if edit >= MIN_SIMILARITY else (0.0, "translit")
    if q.script in LENIENT_SCRIPTS:
        if sk_a == sk_b:
            return (0.95 if len(sk_a) >= 3 else 0.9), "translit"
        if q.script == ABJAD and len(sk_a) >= 3 and sk_b in abjad_variants(sk_a):
            return 0.9, "translit"
        if len(sk_a) >= 4 and len(sk_b) >= 4 and OSA.distance(sk_a, sk_b, score_cutoff=1) <= 1:
            return max(0.85 if sk_a[0] == sk_b[0] else 0.8, edit), "translit"
        if edit >= MIN_SIMILARITY:
            return edit, "edit"
        return 0.0, "translit"
    if q.script == TRANSLIT and len(sk_a) >= 3 and sk_a != sk_b:
        # Cyrillic/Greek spellings of foreign names: kh for ch, g for h (Golubar/Holubar).
        raw = 1.0 - OSA.distance(a, b) / max(len(a), len(b))
        if raw >= 0.6 and sk_b in (sk_a.replace("X", "C"), sk_a.replace("k", "h")):
            return max(0.85, edit), "translit"
    if len(a) >= 4 and len(b) >= 4 and (a == b + "s" or b == a + "s"):
        return 0.95, "edit"  # plural: STAR / STARS
    if sk_a == sk_b and (len(sk_a) >= 3 or min(len(a), len(b)) >= 5):
        raw = 1.0 - OSA.distance(a, b) / max(len(a), len(b))
        if raw >= 0.6:
            sim = 0.5 + 0.5 * raw
            if edit > sim:
                return edit, "edit"
            return sim, "phonetic"
    if edit >= MIN_SIMILARITY:
        return edit, "edit"
    return 0.0, "edit"
