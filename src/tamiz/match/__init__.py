"""Name matching: find a listed party behind any spelling, with few false alerts, fast.

Design
======

**Normalisation** (:mod:`tamiz.index.normalize`). Every name, list-side and query-side, is
cleaned (NFKC, control characters to spaces, case folded), transliterated per script
(``anyascii``; ``pypinyin`` for Chinese; own letter tables for Arabic/Persian and Hebrew,
whose short vowels are unwritten; Korean names as surname + syllables with the lists'
surname spellings; foreign names written in kana, Hangul or long Han runs as one
"syllabic" word whose skeleton merges r/l) and split into tokens. Particles (``al``,
``de``, ``bin``) and honorifics vanish; legal forms and organisation words get one
spelling (``Limited``/``LTD`` -> ``ltd``, ``Joint Stock Company`` -> ``jsc``, ``INTL`` ->
``international``, ``ООО`` -> ``ooo``) and a small weight. Each token carries a
vowel-tolerant consonant *skeleton* (``Qaddafi``/``Gaddafi``/``Kadhafi``/``القذافي`` ->
``kdf``).

**Token similarity** (:mod:`tamiz.index.similarity`): exact; ``translit`` (variant table:
Mohammed/Mohd, Yusuf/Jusuf, Abd al-/Abdul; or equal skeletons when a token comes from a
non-Latin script); ``phonetic`` (equal skeletons of Latin tokens, scaled by edit
similarity); ``nickname`` (Robert/Bob); ``edit`` (OSA distance, length-aware); ``initial``.
Numbers only match exactly.

**Retrieval** (:mod:`tamiz.index.compiled`). The index holds a token vocabulary with
postings (token -> names), a skeleton map and hashed one-deletion neighbourhoods of tokens
and skeletons. A query token expands to the similar vocabulary tokens through those maps
(never a scan); adjacent query tokens are also tried glued (``al zawahiri`` ->
``alzawahiri``) and a long token split (``petrogreen`` -> ``petro green``). Adding
``weight x similarity`` over the postings gives, per name, an upper bound of the query share
it can match, hence an upper bound of its score: only entities whose bound reaches the
threshold are scored, best bound first, stopping when no remaining bound can enter the top
``limit``. ``MatchIndex.search_exhaustive`` scores every entity to measure that retrieval
loses nothing (see tests/test_match_index.py).

**Alignment and weighting** (:mod:`tamiz.match.scoring`). Query tokens are aligned
one-to-one (or two-to-one for glued compounds) with the list name's tokens, greedily by
similarity x weight. A token's weight is its information in bits: the lower of the
list's own frequency and a general name-frequency prior (US census surnames, popular
forenames/surnames of ~100 countries, Arabic names; ``tamiz/data/names``), so ``maduro``
weighs ~14 bits and ``mohammed`` ~5. From the alignment come: the weighted share of the query
matched, the share of the list name matched, matched bits, bits left unmatched on each
side and their minimum (a *conflict*: both sides have something the other lacks, e.g. a
different given name), and mean similarity. A different number on both sides
(``ZU ZAG BONG 5``/``6``) is a strong negative.

**Search versus compare.** In a search the rarity of what matched decides partial
matches and lone common names (``Martin`` alone does not alert on a vessel ``MARTIN``);
:func:`compare` judges two records, so two names whose every token aligns well are the same
name however common (``john``/``John``), and weights come from the general prior only.
``MatchIndex.search_many(queries, processes=N)`` screens a batch, optionally in forked
worker processes sharing the index.

**Evidence**: birth date (exact / same month / same year / within a year / contradicting),
countries (any agreeing nationality, citizenship, residence or address country), identifiers
(an exact normalised id match is strong; ids on both sides with none shared weakens a
little), gender, and schema compatibility (Person vs Vessel/Organization is incompatible;
Organization/Company/LegalEntity are compatible; LegalEntity and Thing match anything
suitable). Weak aliases subtract a fixed amount; former names a little.

**Calibration**: ``score = sigmoid(z)``; ``z`` is the name term ``(L - L0) / scale`` (``L``
the name evidence in bits above, softly capped at 5 log-odds: two people can share even a
long name) plus the evidence log-odds. ``python -m tamiz.match.calibrate ../shared/data``
scores leave-one-alias-out pairs (OFAC SDN 2021-07-07 and UN aliases), variant pairs from
``../shared/data/eval`` and the best candidates of clean names, and prints recall and alert
rates per threshold and a reliability table. With ``L0 = 12`` bits and ``scale = 2.5``
bits per unit of log-odds, among those candidate pairs (classes weighted equally) the
share that are the same party is 0.54 for scores in [0.5, 0.7), 0.78 in [0.7, 0.8), 0.91
in [0.8, 0.9), 0.96 in [0.9, 0.95) and 0.995 above: the score reads as a probability from
about 0.3 up. (A Platt fit over all pairs is flat, because many list aliases share no
word with the entity's other names and score near 0 although positive.)

**Default threshold** ``DEFAULT_THRESHOLD = 0.70`` (net name evidence of about 14 bits, or
less name evidence plus an agreeing birth date or identifier). At or above it a result is a
``match``: an alert for a reviewer. Reordered, accented, transliterated, abbreviated,
misspelt and initialled forms of a listed name are found; a lone surname, a common given
name with a different surname, a different number or an incompatible schema are not.
Measured on the development data: about 2 alerts per 1,000 clean names screened with
birth date, nationality and gender, 4 per 1,000 screened by name alone (OpenSanctions'
synthetic global and US people), 0.5 per 1,000 for census surname + popular forename
combinations; the alerts left are mostly people whose full name equals a listed person's.
Raise the threshold to cut alerts on common names; pass birth date and nationality to
separate namesakes (a contradicting birth date takes an exact name below the threshold).

Bad input raises :class:`QueryError` (a ``ValueError``) with a one-line message: empty or
punctuation-only names, names longer than 1,000 characters (rejected, not truncated), an
unknown schema, a malformed date, an unknown country. Control characters in names are
turned into spaces.
"""

from tamiz.index.compiled import INDEX_VERSION
from tamiz.match.engine import (
    ALGORITHM,
    DEFAULT_THRESHOLD,
    MatchIndex,
    MatchResult,
    compare,
)
from tamiz.match.explain import AlignedToken, AttributeEffect, Explanation
from tamiz.match.query import Query, QueryError

__all__ = [
    "ALGORITHM",
    "DEFAULT_THRESHOLD",
    "INDEX_VERSION",
    "AlignedToken",
    "AttributeEffect",
    "Explanation",
    "MatchIndex",
    "MatchResult",
    "Query",
    "QueryError",
    "compare",
]
