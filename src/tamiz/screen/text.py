"""Free-text screening: find every mention of a listed party in a text of any length.

How a text is read
==================

1. **Words with their spans.** The text is cut into words (letters, digits and combining
   marks; an inner apostrophe stays: ``O'Brien``, ``Qa'ida``). An English possessive
   (``Maduro's``) is left outside the word. Every word keeps its character span in the
   *original* text, so mentions point at what the reader sees, whatever the normalisation.
2. **Name-like runs.** In scripts with case, a name is capitalised: a run is a sequence of
   capitalised words, joined by spaces, hyphens or an initial's full stop, and may contain
   lower-case particles (``de los``, ``of the``, ``bin``, ``al``). Scripts without case
   (Arabic, Hebrew, ...) make every word a candidate except a few function words.
   Punctuation (commas, quotes, brackets, sentence ends) ends a run.
3. **Candidates from the index vocabulary.** Each word is tokenised exactly as list names
   are (:func:`tamiz.index.normalize.tokenize`, so transliteration and spelling variants
   behave as in name screening). :class:`tamiz.index.mentions.MentionIndex` gives, for a run,
   the list names two or more of whose tokens occur in it; the run positions that hit one
   name form a candidate span. A one-word span is a candidate only for a list name made of
   that one distinctive word (``HAMAS``, ``GAZPROM PAO``). Nothing is searched for a run that
   touches no list name, which is why a long text scans in milliseconds.
4. **Scoring.** Each distinct candidate span is screened as a name with
   :meth:`tamiz.match.MatchIndex.search` (cached per span text), so a mention's score and
   explanation are the ones name screening would give. Overlapping spans are resolved in
   favour of the better, then the longer match; each span reports its best entity (and the
   same party on other loaded lists at the same score); weaker readings of the same span are
   kept as ``alternatives``.
5. **Precision rules for prose.** A one-word mention needs a list name that is that word
   alone (legal forms aside), not a weak alias, not a vessel or aircraft unless the text says
   so (``the tanker Maria``), and a word that is neither an ordinary capitalised word
   (``data/text_common_words.txt``) nor a country name or demonym. A span that leaves part
   of the list name unmatched must have matched at least one rare, non-ordinary word.
6. **Coreference.** A reader resolves ``Maduro`` after ``Nicolás Maduro`` to the same person.
   Every rare matched word of a full mention (>= ``COREF_MIN_BITS`` of information, not an
   ordinary word) becomes a key for that mention; a later run made only of such keys
   (titles and ordinary words around it allowed: ``President Maduro``) is reported as a
   mention of the same entity, with the antecedent in its explanation. Without an antecedent
   a lone surname never alerts: ``Rubio`` alone is nobody.
7. **Inflection.** English possessives are dropped, and a word the index does not know is
   tried without a Slavic case ending (``Путина`` -> ``Путин``) or an Arabic one-letter
   proclitic (``و``, ``ب``, ``ل``, ``ف``) before giving up.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from tamiz.countries import country_code
from tamiz.index.mentions import MentionIndex
from tamiz.index.normalize import (
    HONORIFICS,
    LEGAL_FORMS,
    PARTICLES,
    SUN_ARTICLES,
    Token,
    tokenize,
)
from tamiz.match import ALGORITHM, DEFAULT_THRESHOLD, MatchIndex, MatchResult, Query, QueryError
from tamiz.store.audit import AuditEntry

# A matched word must carry at least this much information (bits) to be used to refer back.
COREF_MIN_BITS = 10.0
# A partial mention (list name not fully covered) needs one matched word this rare.
RARE_BITS = 10.0
# Entities whose score for the same span is within this margin of the best are reported
# together (in practice the same party on several loaded lists); the rest become
# alternatives: "Nicolás Maduro" is Maduro Moros, not his son Nicolás Ernesto Maduro Guerra.
TIE_MARGIN = 0.005
MAX_RUN_TOKENS = 40
# A one-word mention needs a word at least this long: shorter ones (LET, SEP, RGB, ETA) are
# abbreviations that only the text itself can define ("Reconnaissance General Bureau (RGB)").
MIN_SINGLE_CHARS = 5
PERSON = "Person"
# Legal forms proper: what a company's name may add to a one-word mention of it.
_LEGAL_FORMS_PROPER = LEGAL_FORMS - {
    "group", "holding", "international", "trading", "enterprise", "industry", "technology",
    "service", "manufacturing", "association", "national", "brothers", "management",
    "department", "investment", "organization", "establishment", "general",
}  # fmt: skip
MAX_ALTERNATIVES = 5
MAX_AUDITED_TEXT = 65_536

_MARKS = "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_WORD_CORE = rf"(?:[^\W_]|[{_MARKS}])+"
_WORD = re.compile(rf"{_WORD_CORE}(?:['\u2019\u02bc]{_WORD_CORE})*")
_ACRONYM = re.compile(r"[ \t\u00a0]*\([ \t]*([A-Z][A-Z0-9]{1,9})[ \t]*\)")
_POSSESSIVE = re.compile(r"['\u2019\u02bc][sS]$")
# What may stand between two words of one name.
_JOIN = re.compile(r"[ \t\u00a0]*(?:[-\u2010\u2011\u2013][ \t\u00a0]*)?(?:\r?\n[ \t\u00a0]*)?")
_INITIAL_JOIN = re.compile(r"\.[ \t\u00a0]*(?:\r?\n[ \t\u00a0]*)?")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VESSEL_CUES = _wordset(
    "vessel tanker ship freighter carrier yacht boat barge tug trawler mv m/v mt "
    "aircraft airplane plane jet airliner helicopter"
)
_UNCASED_STOPWORDS = _wordset(
    # Arabic and Persian function words that would otherwise look like name candidates.
    "في من على إلى الى عن مع أن ان إن لا ما هذا هذه ذلك تلك التي الذي الذين كان كانت قد "
    "لم لن هو هي هم و أو او ثم كما بعد قبل حتى عند بين منذ خلال حول ضد عبر وقال قال "
    "وقالت قالت أمس اليوم يوم وزير وزارة رئيس الرئيس حكومة الحكومة دولة الدولة "
    "از به با در که این آن را برای تا هم یا اما"
)
_CYRILLIC_ENDINGS = ("ого", "его", "ому", "ему", "ими", "ыми", "ой", "ей", "ом", "ем", "ым", "им",
                     "ую", "юю", "а", "я", "у", "ю", "е", "ы", "и")  # fmt: skip
_ARABIC_PROCLITICS = ("و", "ب", "ل", "ف")


@functools.cache
def common_words() -> frozenset[str]:
    """Ordinary capitalised words (see ``data/text_common_words.txt``)."""
    raw = resources.files("tamiz.data").joinpath("text_common_words.txt").read_text("utf-8")
    words: set[str] = set()
    for line in raw.splitlines():
        if not line.startswith("#"):
            words.update(line.split())
    return frozenset(words)


@functools.lru_cache(maxsize=65536)
def is_ordinary(text: str) -> bool:
    """True for a token that is an ordinary word, a country name/demonym or a particle."""
    if text in PARTICLES or text in HONORIFICS or text in common_words():
        return True
    return len(text) > 2 and country_code(text) is not None


@functools.lru_cache(maxsize=65536)
def _word_tokens(word: str) -> tuple[Token, ...]:
    low = word.casefold()
    if low in PARTICLES or low in HONORIFICS or low in SUN_ARTICLES:
        return ()
    try:
        return tokenize(word)
    except Exception:  # a word the normaliser cannot read is simply not a name
        return ()


# -- results ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mention:
    """One mention of one listed entity: ``text[start:end]`` in the original text."""

    start: int
    end: int
    text: str
    result: MatchResult
    via: str = "name"  # "name" or "coreference"
    antecedent: tuple[int, int, str] | None = None  # (start, end, text) of the full mention
    alternatives: tuple[MatchResult, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        expl = r.explanation.to_dict()
        if self.antecedent is not None:
            a_start, a_end, a_text = self.antecedent
            expl["coreference"] = {"antecedent": a_text, "start": a_start, "end": a_end}
            expl["summary"] = f"refers to '{a_text}' ({a_start}-{a_end}); {expl['summary']}"
        out: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "id": r.entity_id,
            "caption": r.caption,
            "schema": r.schema,
            "score": round(r.score, 4),
            "match": r.match,
            "programs": list(r.programs),
            "datasets": list(r.datasets),
            "via": self.via,
            "explanation": expl,
        }
        if self.alternatives:
            out["alternatives"] = [
                {"id": a.entity_id, "caption": a.caption, "score": round(a.score, 4)}
                for a in self.alternatives
            ]
        return out


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    surface: str
    tokens: tuple[Token, ...]
    name_like: bool
    connector: bool


@dataclass(slots=True)
class _Run:
    words: list[int]  # indices into the word list
    tokens: list[Token] = field(default_factory=list)
    token_word: list[int] = field(default_factory=list)  # word index of each token


@dataclass(slots=True)
class _Span:
    first: int  # word indices, inclusive
    last: int
    single: bool
    results: list[MatchResult]


# -- the scanner --------------------------------------------------------------------------


class TextScanner:
    """Finds mentions of listed parties in text, against one match index (thread-safe for
    concurrent scans: caches only grow and hold immutable values)."""

    def __init__(
        self,
        index: MatchIndex,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        datasets: Collection[str] | None = None,
        topics: Collection[str] | None = None,
        exclude_topics: Collection[str] | None = None,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold {threshold} is outside [0, 1]")
        self.index = index
        self.mentions_index = MentionIndex.of(index.compiled)
        self.threshold = threshold
        self.datasets = list(datasets) if datasets else None
        self.topics = tuple(topics) if topics else None
        self.exclude_topics = tuple(exclude_topics) if exclude_topics else None
        self._search_cache: dict[str, list[MatchResult]] = {}
        self._lemma_cache: dict[str, tuple[str, tuple[Token, ...]]] = {}

    # -- words --------------------------------------------------------------------------

    def _lemma(self, word: str) -> tuple[str, tuple[Token, ...]]:
        """The word, or an uninflected form of it that is closer to the index vocabulary."""
        hit = self._lemma_cache.get(word)
        if hit is not None:
            return hit
        tokens = _word_tokens(word)
        out = (word, tokens)
        mi = self.mentions_index
        if len(tokens) == 1 and mi.ix.vid.get(tokens[0].text) is None:
            best = mi.best_similarity(tokens[0])
            for stem in _stems(word):
                st = _word_tokens(stem)
                if len(st) == 1 and mi.best_similarity(st[0]) > best:
                    out = (stem, st)
                    break
        if len(self._lemma_cache) > 200_000:
            self._lemma_cache.clear()
        self._lemma_cache[word] = out
        return out

    def _words(self, text: str, lower: set[str]) -> list[_Word]:
        """The words of ``text``; ``lower`` receives every word written in lower case (a
        word the text itself uses as an ordinary word is not a name there)."""
        words: list[_Word] = []
        for m in _WORD.finditer(text):
            start, end = m.span()
            surface = m.group()
            poss = _POSSESSIVE.search(surface)
            if poss and len(surface) > 3:
                end -= 2
                surface = surface[:-2]
            low = surface.casefold()
            connector = low in PARTICLES or low in SUN_ARTICLES
            cased = surface.lower() != surface.upper()
            if cased:
                name_like = surface[0].isupper() and not connector
                if not name_like:
                    lower.add(low)
            else:
                name_like = surface[0].isalpha() and surface not in _UNCASED_STOPWORDS
            tokens: tuple[Token, ...] = ()
            if name_like:
                surface, tokens = self._lemma(surface)
            words.append(_Word(start, end, surface, tokens, name_like, connector))
        return words

    @staticmethod
    def _runs(text: str, words: list[_Word]) -> list[_Run]:
        runs: list[_Run] = []
        cur: list[int] = []

        def close() -> None:
            while cur and not words[cur[-1]].name_like:
                cur.pop()
            if cur:
                runs.append(_Run(list(cur)))
            cur.clear()

        for i, w in enumerate(words):
            if not (w.name_like or w.connector):
                close()
                continue
            if cur:
                prev = words[cur[-1]]
                gap = text[prev.end : w.start]
                joined = _JOIN.fullmatch(gap) is not None
                if not joined and len(prev.surface) <= 3 and prev.name_like:
                    # initials and abbreviated titles: "George W. Bush", "Dr. No"
                    joined = _INITIAL_JOIN.fullmatch(gap) is not None
                if not joined or len(cur) >= MAX_RUN_TOKENS:
                    close()
            if not cur and not w.name_like:
                continue  # a run never starts with a particle
            cur.append(i)
        close()
        for run in runs:
            for wi in run.words:
                for t in words[wi].tokens:
                    run.tokens.append(t)
                    run.token_word.append(wi)
        return runs

    # -- search -------------------------------------------------------------------------

    def _search(self, name: str) -> list[MatchResult]:
        cached = self._search_cache.get(name)
        if cached is not None:
            return cached
        try:
            results = self.index.search(
                Query(names=(name,)),
                threshold=self.threshold,
                limit=10,
                datasets=self.datasets,
                topics=self.topics,
                exclude_topics=self.exclude_topics,
            )
        except QueryError:
            results = []
        if len(self._search_cache) > 100_000:
            self._search_cache.clear()
        self._search_cache[name] = results
        return results

    def _span_text(self, words: list[_Word], first: int, last: int) -> str:
        return " ".join(w.surface for w in words[first : last + 1])

    def _candidate_spans(
        self, text: str, words: list[_Word], run: _Run, lower: set[str]
    ) -> list[_Span]:
        mi = self.mentions_index
        spans: dict[tuple[int, int], bool] = {}
        if len(run.tokens) >= 2:
            for hit in mi.names_hit(list(run.tokens), min_tokens=2):
                for cluster in _clusters(hit.positions, hit.length, run.tokens):
                    texts = {run.tokens[p].text for p in cluster}
                    if len(texts) < 2:
                        continue
                    key = (run.token_word[cluster[0]], run.token_word[cluster[-1]])
                    spans.setdefault(key, False)
        for p, tok in enumerate(run.tokens):
            if tok.is_number or len(tok.text) < MIN_SINGLE_CHARS or is_ordinary(tok.text):
                continue
            wi = run.token_word[p]
            if len(words[wi].tokens) != 1 or words[wi].surface.casefold() in lower:
                continue
            names = mi.single_token_names(tok)
            if any(mi.name_kind(n) != "weak" and mi.name_schema(n) != PERSON for n in names):
                spans.setdefault((wi, wi), True)
        out: list[_Span] = []
        for (first, last), single in spans.items():
            name = self._span_text(words, first, last)
            if country_code(name) is not None:
                continue  # "Hong Kong" is a place, not HONG KONG ELECTRONICS
            results = self._search(name)
            if single or first == last:
                results = [r for r in results if self._single_ok(r, words, first, text)]
            else:
                results = [r for r in results if self._partial_ok(r)]
            if results:
                out.append(_Span(first, last, first == last, results))
        return out

    def _single_ok(self, r: MatchResult, words: list[_Word], wi: int, text: str) -> bool:
        expl = r.explanation
        if expl.name_kind == "weak" or len(expl.aligned) != 1:
            return False
        if r.schema == PERSON or any(
            t not in _LEGAL_FORMS_PROPER and not is_ordinary(t) for t in expl.unmatched_list
        ):
            return False  # "Stratton" is not STRATTON INVESTMENT GROUP LTD
        if expl.aligned[0].how not in ("exact", "translit"):
            return False
        if r.schema in ("Vessel", "Airplane"):
            before = text[max(0, words[wi].start - 40) : words[wi].start].casefold()
            return any(w in _VESSEL_CUES for w in re.findall(r"[\w/]+", before)[-3:])
        return True

    def _partial_ok(self, r: MatchResult) -> bool:
        expl = r.explanation
        full = not expl.unmatched_list and not expl.unmatched_query
        if all(is_ordinary(t) for a in expl.aligned for t in a.query.split()):
            # "Interior Minister" is not MINISTRY OF INTERIOR; "Central Bank of Iran" is.
            exact = all(a.how == "exact" for a in expl.aligned)
            return full and exact and sum(len(a.query.split()) for a in expl.aligned) >= 3
        if full:
            return True
        if expl.name_kind == "weak":
            return False
        solid = [
            t
            for a in expl.aligned
            if a.how != "initial"
            for t in a.query.split()
            if t not in LEGAL_FORMS
        ]
        if len(solid) < 2:
            return False  # "Ilya V." is not Ilya Volfson, "Telecommunications Corp" nobody
        if r.schema != PERSON and any(
            t not in LEGAL_FORMS and not is_ordinary(t) for t in expl.unmatched_list
        ):
            # an organisation is named in full: "Communication Systems" is not AVIATION
            # ELECTRONICS AND COMMUNICATION SYSTEMS, though "Bank Melli" is BANK MELLI IRAN
            return False
        return any(
            a.weight >= RARE_BITS and not all(is_ordinary(t) for t in a.query.split())
            for a in expl.aligned
        )

    # -- the scan -----------------------------------------------------------------------

    def scan(self, text: str) -> list[Mention]:
        """Every mention found in ``text``, in text order (one per span and entity)."""
        lower: set[str] = set()
        words = self._words(text, lower)
        runs = self._runs(text, words)
        chosen: list[_Span] = []
        for run in runs:
            spans = self._candidate_spans(text, words, run, lower)
            spans.sort(key=lambda s: (-s.results[0].score, -(s.last - s.first), s.first))
            taken: list[_Span] = []
            for s in spans:
                if all(s.last < t.first or s.first > t.last for t in taken):
                    taken.append(s)
            chosen.extend(taken)
        chosen.sort(key=lambda s: s.first)
        mentions: list[Mention] = []
        for s in chosen:
            start, end = words[s.first].start, words[s.last].end
            tied, alts = _best_readings(s.results)
            for r in tied:
                mentions.append(Mention(start, end, text[start:end], r, alternatives=alts))
        mentions.extend(self._coreferences(text, words, runs, chosen, mentions, lower))
        mentions.sort(key=lambda m: (m.start, -m.result.score, m.result.entity_id))
        return mentions

    def _coreferences(
        self,
        text: str,
        words: list[_Word],
        runs: list[_Run],
        chosen: list[_Span],
        mentions: list[Mention],
        lower: set[str],
    ) -> list[Mention]:
        if not mentions:
            return []
        # key token -> indices of full mentions it can refer back to
        keys: dict[str, list[int]] = {}
        for i, m in enumerate(mentions):
            multiword = len(_WORD.findall(m.text)) >= 2
            for a in m.result.explanation.aligned:
                if not multiword or a.how not in ("exact", "translit"):
                    continue
                for part in a.query.split():
                    if len(part) < 3 or is_ordinary(part) or part in lower:
                        continue
                    if a.weight / max(len(a.query.split()), 1) >= COREF_MIN_BITS:
                        keys.setdefault(part, []).append(i)

            # "Islamic Revolutionary Guard Corps (IRGC)": the text defines an abbreviation
            acronym = _ACRONYM.match(text, m.end)
            if acronym:
                for t in _word_tokens(acronym.group(1)):
                    keys.setdefault(t.text, []).append(i)
        if not keys:
            return []
        covered = set()
        for s in chosen:
            covered.update(range(s.first, s.last + 1))
        out: list[Mention] = []
        for run in runs:
            if any(wi in covered for wi in run.words):
                continue
            key_pos = [p for p, t in enumerate(run.tokens) if t.text in keys]
            if not key_pos:
                continue
            others = [t for p, t in enumerate(run.tokens) if p not in key_pos]
            if not all(is_ordinary(t.text) for t in others):
                continue  # "Carlos Maduro" is somebody else
            candidates = set(keys[run.tokens[key_pos[0]].text])
            for p in key_pos[1:]:
                candidates &= set(keys[run.tokens[p].text])
            if not candidates:
                continue
            first_w, last_w = run.token_word[key_pos[0]], run.token_word[key_pos[-1]]
            start, end = words[first_w].start, words[last_w].end
            before = [i for i in candidates if mentions[i].start < start]
            if before:
                top = max(mentions[i].start for i in before)
            else:
                top = min(mentions[i].start for i in candidates)
            for i in sorted(candidates):
                ante = mentions[i]
                if ante.start != top:
                    continue
                out.append(
                    Mention(
                        start,
                        end,
                        text[start:end],
                        ante.result,
                        via="coreference",
                        antecedent=(ante.start, ante.end, ante.text),
                    )
                )
        return out


def _list_left(r: MatchResult) -> float:
    return r.explanation.features.get("list_left", 0.0)


def _best_readings(results: list[MatchResult]) -> tuple[list[MatchResult], tuple[MatchResult, ...]]:
    """The entities a span names (best score; among equals, the list name it covers best)
    and the other readings, as alternatives."""
    best = results[0].score
    tied = [r for r in results if r.score >= best - TIE_MARGIN]
    least = min(_list_left(r) for r in tied)
    tied = [r for r in tied if _list_left(r) <= least + 0.5]
    ids = {r.entity_id for r in tied}
    alts = tuple(r for r in results if r.entity_id not in ids)[:MAX_ALTERNATIVES]
    return tied, alts


def _clusters(positions: tuple[int, ...], length: int, tokens: list[Token]) -> list[list[int]]:
    """Groups of nearby run positions (at most one unmatched token between two hits, no
    word twice: "Sergey Skvortsov / Sergey Ivanov" in a list are two names)."""
    out: list[list[int]] = []
    cur: list[int] = []
    for p in positions:
        repeated = any(tokens[q].text == tokens[p].text for q in cur)
        if cur and (p - cur[-1] > 2 or p - cur[0] >= length + 2 or repeated):
            out.append(cur)
            cur = []
        cur.append(p)
    if cur:
        out.append(cur)
    return [c for c in out if len(c) >= 2]


def _is_abjad(word: str) -> bool:
    return any("\u0590" <= ch <= "\u06ff" for ch in word)


def _stems(word: str) -> list[str]:
    """Uninflected candidates for a word the index does not know."""
    out: list[str] = []
    if any("\u0400" <= ch <= "\u04ff" for ch in word):
        low = word.lower()
        for ending in _CYRILLIC_ENDINGS:
            if low.endswith(ending) and len(word) - len(ending) >= 3:
                stem = word[: -len(ending)]
                out.append(stem)
                if ending in ("ой", "ую", "у", "е"):
                    out.append(stem + "а")  # feminine surnames: Ивановой -> Иванова
    elif _is_abjad(word) and word.startswith(_ARABIC_PROCLITICS) and len(word) >= 4:
        out.append(word[1:])
    return out


def scan_text(
    index: MatchIndex,
    text: str,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    datasets: Collection[str] | None = None,
    topics: Collection[str] | None = None,
    exclude_topics: Collection[str] | None = None,
) -> list[Mention]:
    """Mentions of listed parties in ``text`` (see the module documentation)."""
    scanner = TextScanner(
        index, threshold=threshold, datasets=datasets, topics=topics, exclude_topics=exclude_topics
    )
    return scanner.scan(text)


def scan_audit_entry(
    actor: str,
    text: str,
    mentions: Sequence[Mention],
    *,
    snapshots: Mapping[str, str],
    threshold: float,
    source: str | None = None,
    algorithm: str = ALGORITHM,
) -> AuditEntry:
    """The audit record of one scan: the text (its SHA-256 only beyond MAX_AUDITED_TEXT
    characters, or always with ``TAMIZ_AUDIT_QUERY=hash``), the snapshots, and every mention
    (span, entity, score, how it was found)."""
    query: dict[str, Any] = {"chars": len(text)}
    if len(text) <= MAX_AUDITED_TEXT:
        query["text"] = text
    else:  # a long document is pinned by its hash; the record stays small
        query["sha256"] = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if source:
        query["source"] = source
    return AuditEntry(
        action="scan",
        actor=actor,
        query=query,
        datasets=dict(snapshots),
        threshold=threshold,
        algorithm=algorithm,
        results=[
            {
                "start": m.start,
                "end": m.end,
                "id": m.result.entity_id,
                "score": round(m.result.score, 4),
                "match": m.result.match,
                "via": m.via,
            }
            for m in mentions
        ],
        details={
            "mentions": len(mentions),
            "entities": len({m.result.entity_id for m in mentions}),
        },
    )


__all__ = [
    "COREF_MIN_BITS",
    "Mention",
    "TextScanner",
    "common_words",
    "is_ordinary",
    "scan_audit_entry",
    "scan_text",
]
