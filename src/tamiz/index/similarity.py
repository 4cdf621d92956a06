"""Similarity of two name tokens, with the reason a reviewer can read.

``how`` is one of ``exact``, ``translit`` (variant table, or equal consonant skeletons when
either token was written in a non-Latin script), ``phonetic`` (equal skeletons of two Latin
tokens), ``nickname``, ``edit`` (typo distance), ``initial``. Numbers only match exactly.
"""

from __future__ import annotations

import functools
import re

from rapidfuzz.distance import OSA

from tamiz.index.names import are_nicknames, are_variants
from tamiz.index.normalize import (
    ABJAD,
    HAN,
    HANGUL,
    SYLLABIC,
    TRANSLIT,
    Token,
    skeleton,
    syllabic_skeleton,
)

MIN_SIMILARITY = 0.7
# Scripts whose romanisations vary so much that equal consonant skeletons are trusted.
LENIENT_SCRIPTS = frozenset((ABJAD, HANGUL))
# Arabic article (and "abu") written solid with the name: alzawahiri / zawahiri.
GLUED_PREFIXES = ("al", "el", "ul", "ad", "ar", "as", "ash", "at", "az", "an", "abu", "bin")
GLUED_PREFIXES += ("de", "del", "la", "le", "van", "von", "di", "da", "du", "dos", "das")
# The article assimilated to a sun letter, Maghrebi style (Eddine, Essayed, Ettayeb), and
# the Maghrebi/Libyan "Bu" for Abu (Bukhattalah).
GLUED_PREFIXES += ("ed", "es", "et", "en", "er", "ez", "bu")
_GLUED_SET = frozenset(GLUED_PREFIXES)
# Assimilated articles double the sun letter (ad-din, ar-rahman): the name must start with
# it, so that Edward is not "ed" + Ward nor Anwar "an" + War.
SUN_PREFIXES = frozenset(("ad", "ar", "as", "ash", "at", "az", "an", "ed", "es", "et", "en", "er"))
SUN_PREFIXES |= frozenset(("ez",))


def _glued(a: str, b: str) -> bool:
    """``a`` is ``b`` with an article or particle written solid in front (alzawahiri,
    eddine / din), ``b`` at least three letters."""
    if len(a) < len(b) + 2 or len(b) < 3:
        return False
    for k in (2, 3):
        prefix, rest = a[:k], a[k:]
        if prefix not in _GLUED_SET or len(rest) < 3:
            continue
        if prefix in SUN_PREFIXES and not rest.startswith(prefix[1:]):
            continue
        if prefix == "bu" and len(rest) < 6:
            continue
        if rest == b and len(b) >= 4:
            return True
        if rest != b and vowel_norm(rest) == vowel_norm(b):
            return True
    return False


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
_ABJAD_ALTERNATIVES = (
    ("J", "k"),
    ("z", "s"),
    ("b", "f"),
    ("y", "J"),
    ("f", "w"),
    ("d", "z"),  # Persian reads dad and dhal as z (رضا Reza / Rida)
    ("t", "s"),  # and tha as s (ثريا Sorayya / Thuraya)
)


def abjad_variants(skel: str) -> set[str]:
    """Other skeletons an abjad word may stand for (each substitution applied everywhere)."""
    out = {skel}
    for a, b in _ABJAD_ALTERNATIVES:
        if a in skel:
            out |= {v.replace(a, b) for v in out}
        if len(out) > 16:
            break
    if "f" in skel[1:]:
        # fa inside a word also writes a foreign v, which a Latin skeleton drops there
        # (بافلوفيتش Pavlovich)
        out |= {v[:1] + v[1:].replace("f", "") for v in out}
    out.discard(skel)
    return out


_VOWEL_STEPS = (
    (re.compile(r"ph"), "f"),
    (re.compile(r"ck|q"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"(?<=[^aeiouy])e$"), ""),  # French silent final e: Eddine, Amine
    (re.compile(r"(?<=[aeiou])h$"), ""),  # final -ah/-eh: a vowel ending
    # Consonant classes, as in the skeleton key: sh/ch/sch, kh, zh/dj/j, g/k/q/c, b/p, v/w.
    (re.compile(r"sch|tch|sh|ch"), "C"),
    (re.compile(r"kh"), "X"),
    (re.compile(r"dzh|zh|dj|j"), "J"),
    (re.compile(r"gh|g|c"), "k"),
    (re.compile(r"th"), "t"),
    (re.compile(r"dh"), "d"),
    (re.compile(r"p"), "b"),
    (re.compile(r"v"), "w"),
    (re.compile(r"x"), "ks"),
    # Vowels: e/i, o/u, ee/i, ou/u, ei/ai/ay.
    (re.compile(r"ee|ea|ie"), "i"),
    (re.compile(r"oo|ou|oe|o"), "u"),
    (re.compile(r"(?<=.)y(?![aeiou])"), "i"),  # a vowel y (Sayf), not a consonant (Iyad)
    (re.compile(r"[ae]i(?![aeiou])"), "ay"),  # the diphthong: Seif / Saif / Sayf
    (re.compile(r"e"), "i"),
    (re.compile(r"(.)\1+"), r"\1"),
)


@functools.lru_cache(maxsize=65536)
def vowel_norm(text: str) -> str:
    """A spelling key that keeps the vowels but merges the usual romanisation variants of
    the short vowels of Arabic and Persian names (e/i, o/u, ee/i, ou/u, ei/ai/ay), the
    consonant classes of the skeleton key (sh/ch, g/k/q, b/p, v/w) and doubled letters:
    Seif/Saif -> sayf, Eyad/Iyad -> iyad, Leena/Lina -> lina, Kassem/Qasim -> kasim,
    Mouchaweh/Mushaweh -> muCawi. Amir and Omar stay apart (amir / umar)."""
    for pattern, repl in _VOWEL_STEPS:
        text = pattern.sub(repl, text)
    return text


_NORM_VOWELS = re.compile(r"[aiuyw]")


def _consonants(norm: str) -> str:
    return _NORM_VOWELS.sub("", norm)


def _ends_in_nisba(norm: str) -> bool:
    return len(norm) >= 4 and norm[-1] == "i" and norm[-2] not in "aiuy"


def nisba_differs(a: str, b: str) -> bool:
    """One spelling ends in the adjectival -i the other lacks (Mohammadi / Mohammad,
    Hosseini / Hossein): related but different names."""
    na, nb = vowel_norm(a), vowel_norm(b)
    return (_ends_in_nisba(na) and na[:-1] == nb) or (_ends_in_nisba(nb) and nb[:-1] == na)


def _abjad_nisba_differs(abjad_text: str, latin: str) -> bool:
    """The Arabic-script word ends in ya after a consonant (محمدی, mhmdy) and the Latin one
    ends in a consonant, or the reverse (حسین / Hosseini)."""
    ends_y = len(abjad_text) >= 3 and abjad_text[-1] == "y" and abjad_text[-2] not in "aiuwy'"
    latin_i = _ends_in_nisba(vowel_norm(latin))
    latin_consonant = latin[-1:] not in ("a", "e", "i", "o", "u", "y", "h", "")
    return (ends_y and latin_consonant) or (
        not ends_y and abjad_text[-1:] not in ("a", "w", "y", "h", "'") and latin_i
    )


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


# How other languages write the sounds a romanised Cyrillic name spells kh, ts, zh, ch, sh,
# y: English/Italian/Spanish, German, Polish, Czech/Slovak/Croatian (diacritics dropped).
_FOREIGN_SPELLINGS = tuple(
    (re.compile("|".join(sorted(table, key=len, reverse=True))), table)
    for table in (
        {"kh": "h", "dzh": "j", "ts": "z", "iy$": "i"},
        {"kh": "ch", "ts": "z", "sh": "sch", "shch": "sch", "y": "j", "ch": "tsch", "v": "w"},
        {
            "kh": "ch",
            "ts": "c",
            "sh": "sz",
            "shch": "szcz",
            "ch": "cz",
            "zh": "z",
            "y": "j",
            "iy$": "i",
            "aya$": "a",
            "v": "w",
            "ye": "ie",
        },
        {"kh": "ch", "g": "h", "ts": "c", "sh": "s", "ch": "c", "zh": "z", "y": "j", "dzh": "dz"},
    )
)


@functools.lru_cache(maxsize=65536)
def _foreign_spelling_similarity(cyr: str, latin_skel: str) -> float:
    """0.9 when a foreign spelling of the romanised Cyrillic ``cyr`` has the skeleton
    ``latin_skel``, 0.85 when it is a letter away (long names only), else 0."""
    best = 0.0
    for pattern, table in _FOREIGN_SPELLINGS:
        spelled = pattern.sub(lambda m, t=table: t.get(m.group()) or t[m.group() + "$"], cyr)
        key = skeleton(spelled)
        if key == latin_skel and len(key) >= 3:
            return 0.9
        if (
            len(key) >= 4
            and key[0] == latin_skel[:1]
            and OSA.distance(key, latin_skel, score_cutoff=1) <= 1
        ):
            best = 0.85
    return best


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
    if _glued(a, b) or _glued(b, a):
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
            if v.script == ABJAD and _abjad_nisba_differs(b, a):
                return 0.75, "translit"
            return 0.8, "translit"
        return (edit, "edit") if edit >= MIN_SIMILARITY else (0.0, "translit")
    if q.script in LENIENT_SCRIPTS:
        if sk_a == sk_b:
            if q.script == ABJAD and v.script != ABJAD and _abjad_nisba_differs(a, b):
                return 0.75, "translit"
            return (0.95 if len(sk_a) >= 3 else 0.9), "translit"
        if q.script == ABJAD and len(sk_a) >= 3 and sk_b in abjad_variants(sk_a):
            return 0.9, "translit"
        if q.script == ABJAD and len(sk_a) >= 3 and sk_b[:2] == "al" and sk_b[2:] == sk_a:
            return 0.9, "translit"  # the article written solid on the Latin side: Elsahar
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
    if (q.script == TRANSLIT) != (v.script == TRANSLIT) and sk_a != sk_b:
        # A Cyrillic spelling of a name other languages write their way (Krentsel / Krenzel,
        # Yakubovskaya / Jakubowska, Voytkevich / Wojtkiewicz).
        cyr, lat = (a, sk_b) if q.script == TRANSLIT else (b, sk_a)
        found = _foreign_spelling_similarity(cyr, lat)
        if found:
            return max(found, edit), "translit"
    if len(a) >= 4 and len(b) >= 4 and (a == b + "s" or b == a + "s"):
        return 0.95, "edit"  # plural: STAR / STARS
    if sk_a == sk_b:
        if nisba_differs(a, b):
            return 0.75, "phonetic"
        raw = 1.0 - OSA.distance(a, b) / max(len(a), len(b))
        na, nb = vowel_norm(a), vowel_norm(b)
        if na == nb and len(na) >= 3:
            # Only the usual vowel spellings differ (Seif / Saif, Kassem / Qasim).
            return max(0.9, 0.5 + 0.5 * raw, edit), "phonetic"
        if len(sk_a) >= 3 or min(len(a), len(b)) >= 5:
            if min(len(na), len(nb)) >= 5 and _consonants(na) == _consonants(nb):
                # Long names with the same consonants, a vowel or two apart (Esameel /
                # Ismail, Dridqal / Derdoukal); Cabrera / Ghabra differ in a consonant.
                d = OSA.distance(na, nb, score_cutoff=2)
                if d <= 2:
                    raw = max(raw, 1.0 - d / max(len(na), len(nb)))
            if raw >= 0.6:
                sim = 0.5 + 0.5 * raw
                if edit > sim:
                    return edit, "edit"
                return sim, "phonetic"
    if edit >= MIN_SIMILARITY:
        return edit, "edit"
    return 0.0, "edit"
