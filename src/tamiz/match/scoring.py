"""Pairwise scoring: token alignment, name evidence, secondary evidence, calibrated score.

The score is ``sigmoid(z)``; ``z`` (log-odds) is the sum of

- the name term of the best-aligned pair of names (query name x list name), from an
  information budget in bits (:func:`name_score`): the information the aligned tokens
  confirm (less for fuzzy agreements, less still on short tokens), minus what each side
  leaves unmatched (capped on the list side: lists carry long full names) and a penalty
  for conflicts (both sides have parts the other lacks), plus a bonus when every token on
  both sides aligns; ``z_name = (L - L0) / scale``, with ``L0``/``scale`` fitted by
  ``python -m tamiz.match.calibrate`` (Platt scaling on positive and hard negative pairs);
- the name kind of the list name (weak and former aliases count less);
- secondary evidence: birth date, countries, identifiers, gender, schema compatibility.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tamiz.index.normalize import HANGUL, Token, skeleton
from tamiz.index.similarity import MIN_SIMILARITY, token_similarity
from tamiz.model import DateValue, Schema

INITIAL_BITS = 4.0  # information an initial proves about the full name it stands for
ACRONYM_BITS = 3.0  # information an acronym proves per letter (IRGC: at most 12 bits)
Acronym = tuple[int, int, str]  # (start, end, initials) of a run of words
HEAD_FULL_BITS = 10.0  # a missed head name part this informative costs the full penalty

# Name evidence, in bits of information (see name_score): weights of what is left unmatched
# on the query side, the list side and on both (a conflict), the bonus when every token on
# both sides is aligned, and the
# mapping of evidence to log-odds, z = (L - L0) / scale.
NAME_PARAMS = {
    "q_left": 0.3,
    "n_left": 0.15,
    "conflict": 0.5,
    "conflict_pair": 4.0,
    "head_missed": 3.0,
    "n_left_cap": 20.0,
    "q_left_cap": 40.0,
    "full": 4.0,
    "full_per_token": 2.0,
    "L0": 12.0,
    "scale": 2.5,
}
NUMBER_CONFLICT = -3.0  # log-odds, below a zero cap: a different number (ZU ZAG BONG 5 / 6)
# Name kinds, in log-odds: weak aliases (OFAC "weak aka", UN "low quality") count less.
KIND_ADJUST = {"primary": 0.0, "aka": 0.0, "native": 0.0, "former": -0.8, "weak": -3.2}
MATCHED_BITS_CAP = 40.0
NAME_Z_CAP = 5.0

# Evidence log-odds.
DOB_EXACT = 2.5
DOB_MONTH = 1.6
DOB_YEAR = 0.9
DOB_NEAR = 0.2
DOB_CONTRADICT = -4.5
COUNTRY_AGREE = 0.4
COUNTRY_CONTRADICT = -0.5
ID_MATCH = 6.0
ID_CONTRADICT = -0.3
GENDER_AGREE = 0.1
GENDER_CONTRADICT = -2.0
SCHEMA_INCOMPATIBLE = -12.0

SimFn = Callable[[int, Token, int, Token], tuple[float, str]]


# Record-to-record comparison (compare, compare-file) meets the same pairs of tokens again
# and again; a search over the index has its own per-token cache (CompiledIndex), where this
# one would only cost lookups.
_pair_similarity = functools.lru_cache(maxsize=1 << 16)(token_similarity)


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


@dataclass(frozen=True, slots=True)
class Edge:
    q: tuple[int, ...]  # query token positions
    n: tuple[int, ...]  # list token positions
    sim: float
    how: str


@dataclass(slots=True)
class NameScore:
    z: float
    edges: list[Edge]
    q_cov: float
    n_cov: float
    bits: float
    q_left: float
    n_left: float
    conflict: float
    number_conflict: bool
    quality: float
    features: dict[str, float]


def _merge(a: Token, b: Token) -> Token:
    text = a.text + b.text
    script = a.script if a.script == b.script else b.script
    return Token(
        text, skeleton(text) if script in ("latin", "translit") else a.skel + b.skel, script
    )


def align(
    q_tokens: Sequence[Token],
    n_tokens: Sequence[Token],
    q_w: Sequence[float],
    n_w: Sequence[float],
    sim: SimFn | None = None,
    n_ids: Sequence[int] | None = None,
    q_acro: Sequence[Acronym] = (),
    n_acro: Sequence[Acronym] = (),
) -> list[Edge]:
    """Greedy maximum-weight alignment of query tokens to list tokens.

    Besides one-to-one pairs it considers two adjacent tokens written as one on the other
    side (``al zawahiri`` / ``alzawahiri``, ``jin ping`` / ``jinping``), and an acronym on
    one side for a run of words on the other (``IRGC`` / ``ISLAMIC REVOLUTIONARY GUARD
    CORPS``): ``q_acro``/``n_acro`` are the runs (start, end, initials) of each side.
    """
    nq, nn = len(q_tokens), len(n_tokens)
    cands: list[tuple[float, Edge]] = []
    for i in range(nq):
        qt = q_tokens[i]
        for j in range(nn):
            if sim is not None and n_ids is not None:
                s, how = sim(i, qt, n_ids[j], n_tokens[j])
            else:
                s, how = _pair_similarity(qt, n_tokens[j])
            if s >= MIN_SIMILARITY:
                cands.append((s * (q_w[i] + n_w[j]), Edge((i,), (j,), s, how)))
    # Compounds: only where the parts are not all matched exactly already.
    if nq >= 2 or nn >= 2:
        for i in range(nq - 1):
            a, b = q_tokens[i], q_tokens[i + 1]
            if a.is_number or b.is_number or a.is_initial or b.is_initial:
                continue
            text = a.text + b.text
            merged = None
            for j in range(nn):
                t = n_tokens[j]
                if abs(len(t.text) - len(text)) > 2 or t.text[:1] != text[:1]:
                    continue
                merged = merged or _merge(a, b)
                s, how = token_similarity(merged, t)
                if s >= 0.9:
                    cands.append(
                        (s * (q_w[i] + q_w[i + 1] + n_w[j]), Edge((i, i + 1), (j,), s, how))
                    )
        for j in range(nn - 1):
            a, b = n_tokens[j], n_tokens[j + 1]
            if a.is_number or b.is_number or a.is_initial or b.is_initial:
                continue
            text = a.text + b.text
            merged = None
            for i in range(nq):
                t = q_tokens[i]
                if abs(len(t.text) - len(text)) > 2 or t.text[:1] != text[:1]:
                    continue
                merged = merged or _merge(a, b)
                s, how = token_similarity(t, merged)
                if s >= 0.9:
                    cands.append(
                        (s * (q_w[i] + n_w[j] + n_w[j + 1]), Edge((i,), (j, j + 1), s, how))
                    )
    # Acronyms come after word-for-word pairs: a name that spells out its acronym
    # (ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC)) aligns its words first.
    acro: list[tuple[float, Edge]] = []
    for i0, i1, letters in q_acro:
        for j in range(nn):
            if n_tokens[j].text == letters:
                prio = sum(q_w[i0:i1]) + n_w[j]
                acro.append((prio, Edge(tuple(range(i0, i1)), (j,), 0.9, "acronym")))
    for j0, j1, letters in n_acro:
        for i in range(nq):
            if q_tokens[i].text == letters:
                prio = q_w[i] + sum(n_w[j0:j1])
                acro.append((prio, Edge((i,), tuple(range(j0, j1)), 0.9, "acronym")))
    cands.sort(key=lambda c: -c[0])
    acro.sort(key=lambda c: -c[0])
    used_q: set[int] = set()
    used_n: set[int] = set()
    edges: list[Edge] = []
    for _, e in (*cands, *acro):
        if len(used_q) == nq or len(used_n) == nn:
            break
        if used_q.isdisjoint(e.q) and used_n.isdisjoint(e.n):
            edges.append(e)
            used_q.update(e.q)
            used_n.update(e.n)
    return edges


def saturate(z):
    """Name evidence saturates: two people can share even a long name, so a name alone
    never gets beyond about NAME_Z_CAP log-odds (a contradicting birth date can still
    overrule it). Monotone, so rankings and retrieval bounds are kept. ``z`` may be a
    float or a numpy array."""
    if isinstance(z, np.ndarray):
        return np.where(z > 0, NAME_Z_CAP * np.tanh(np.maximum(z, 0.0) / NAME_Z_CAP), z)
    return NAME_Z_CAP * math.tanh(z / NAME_Z_CAP) if z > 0 else z


def confirmed(sim: float, how: str, length: int) -> float:
    """Share of a token's information that an agreement of this quality confirms.

    An exact agreement confirms all of it; a fuzzy one less, and less for short tokens,
    because many more names lie within one letter of a short name (``Soule``/``Soul``) than
    of a long one (``Boughanemi``/``Bughanimi``)."""
    if how == "exact":
        return 1.0
    k = min(max(1.0 + 10.0 / max(length, 1), 1.5), 3.5)
    return max(0.0, 1.0 - (1.0 - sim) * k)


def name_score(
    q_tokens: Sequence[Token],
    n_tokens: Sequence[Token],
    q_w: Sequence[float],
    n_w: Sequence[float],
    sim: SimFn | None = None,
    n_ids: Sequence[int] | None = None,
    pairwise: bool = False,
    n_heads: int = 0,
    q_acro: Sequence[Acronym] = (),
    n_acro: Sequence[Acronym] = (),
) -> NameScore:
    """Evidence (log-odds) that two names denote the same party.

    ``pairwise`` (record-to-record comparison) treats two names whose every token aligns
    as the same name however common it is; in a search over a list, a lone common name
    equal to a listed one (``Martin``) is not enough for an alert.

    ``L = confirmed bits - lq * query bits left - ln * list bits left
    - lc * min(both left) + full-cover bonus``; ``z = (L - L0) / scale``.
    """
    edges = align(q_tokens, n_tokens, q_w, n_w, sim, n_ids, q_acro, n_acro)
    p = NAME_PARAMS
    wq = sum(q_w) or 1.0
    wn = sum(n_w) or 1.0
    conf_q = conf_n = bits = 0.0
    used_q: set[int] = set()
    used_n: set[int] = set()
    worst = 1.0
    initial_bits = 0.0
    list_initials = 0  # list initials standing for full query names
    solid = 0  # edges other than initials
    for e in edges:
        eq = sum(q_w[i] for i in e.q)
        en = sum(n_w[j] for j in e.n)
        length = max(
            sum(len(q_tokens[i].text) for i in e.q), sum(len(n_tokens[j].text) for j in e.n)
        )
        if e.how == "acronym":
            # The acronym and its words explain each other; what it proves is bounded by
            # how many acronyms of that length there are.
            conf_q += eq
            conf_n += en
            bits += min(eq, en, ACRONYM_BITS * max(len(e.q), len(e.n)))
            solid += 1
            used_q.update(e.q)
            used_n.update(e.n)
            continue
        c = confirmed(e.sim, e.how, length)
        if e.how == "initial":
            # An initial proves only its letter.
            # A query that abbreviates (N. Maduro) leaves nothing out; a list initial
            # (K M A) confirms little of a full query name.
            q_init = len(q_tokens[e.q[0]].text) == 1
            conf_q += eq if q_init else min(eq, INITIAL_BITS)
            conf_n += en
            list_initials += not q_init
            initial_bits += min(eq, en, INITIAL_BITS)
            used_q.update(e.q)
            used_n.update(e.n)
            continue
        solid += 1
        conf_q += c * eq
        conf_n += c * en
        bits += c * min(eq, en)
        worst = min(worst, c)
        used_q.update(e.q)
        used_n.update(e.n)
    if solid:
        bits += initial_bits  # initials only count beside a real name part
    for i0, i1, letters in q_acro:
        # The query's own acronym of words it spells out and that aligned (ISLAMIC
        # REVOLUTIONARY GUARD CORPS (IRGC)) repeats them.
        if all(i in used_q for i in range(i0, i1)):
            for i, t in enumerate(q_tokens):
                if i not in used_q and t.text == letters:
                    conf_q += q_w[i]
                    used_q.add(i)
    for j0, j1, letters in n_acro:
        # Likewise a list name that spells out its own acronym, the acronym aligned.
        run = range(j0, j1)
        if any(j in used_n for j in run):
            continue
        if any(j in used_n and t.text == letters for j, t in enumerate(n_tokens)):
            conf_n += sum(n_w[j] for j in run)
            used_n.update(run)
    q_left = max(0.0, wq - conf_q)
    # A Korean name has one given name: Hangul syllables of the query left unmatched are a
    # name the listed person does not have, not a middle name (광수 승민 최 / Choe Kwang Su).
    q_left += sum(q_w[i] for i, t in enumerate(q_tokens) if i not in used_q and t.script == HANGUL)
    n_left = max(0.0, wn - conf_n)
    q_nums = {t.text for i, t in enumerate(q_tokens) if i not in used_q and t.is_number}
    n_nums = {t.text for j, t in enumerate(n_tokens) if j not in used_n and t.is_number}
    number_conflict = bool(q_nums and n_nums)
    left_q = [w for i, w in enumerate(q_w) if i not in used_q and not q_tokens[i].legal]
    left_n = [w for j, w in enumerate(n_w) if j not in used_n and not n_tokens[j].legal]
    # Every token aligned on both sides; a legal form one side lacks does not matter.
    full = solid > 0 and not left_q and not left_n and worst >= 0.6 and not list_initials
    # A conflict: both names have parts the other lacks (a different given name or
    # surname), worth its bits and a fixed amount per conflicting pair of parts.
    conflict = min(sum(left_q), sum(left_n)) + p["conflict_pair"] * min(len(left_q), len(left_n))
    # The first surname and first given name of a "SURNAMES, Given names" entry left
    # unmatched while other parts matched (Maria Ortega vs MURILLO DE ORTEGA, Rosario Maria).
    # A missed head costs in proportion to its information: a missed Mohammed less.
    heads_missed = 0.0
    if n_heads and edges:
        heads_missed = sum(
            min(1.0, n_w[j] / HEAD_FULL_BITS)
            for j in range(len(n_tokens))
            if n_heads >> j & 1 and j not in used_n
        )
    # Lists often carry long full names (patronymic chains, second surnames) that a query
    # leaves out: what the list has beyond the query costs a capped amount.
    full_bonus = p["full"] + p["full_per_token"] * (min(len(q_tokens), len(n_tokens)) - 1)
    evidence = (
        min(bits, MATCHED_BITS_CAP)
        - p["q_left"] * min(q_left, p["q_left_cap"])
        - p["n_left"] * min(n_left, p["n_left_cap"])
        - p["conflict"] * conflict
        - p["head_missed"] * heads_missed
        + (full_bonus if full else 0.0)
    )
    if pairwise and full:
        evidence = max(evidence, p["L0"] + p["scale"] * (4.5 * worst - 2.0))
    z = saturate((evidence - p["L0"]) / p["scale"])
    if number_conflict:
        # Different numbers name different things (ZU ZAG BONG 5 / 6), however alike the rest.
        z = min(z, 0.0) + NUMBER_CONFLICT
    feats = {
        "bits": bits,
        "query_bits": wq,
        "list_bits": wn,
        "query_left": q_left,
        "list_left": n_left,
        "conflict": conflict,
        "full_cover": 1.0 if full else 0.0,
        "heads_missed": heads_missed,
        "evidence_bits": evidence,
    }
    return NameScore(
        z,
        edges,
        conf_q / wq,
        conf_n / wn,
        bits,
        q_left,
        n_left,
        conflict,
        number_conflict,
        worst,
        feats,
    )


def name_z_bound(matched_ub, q_weight: float, q_tokens: int = 1, all_covered=None):
    """Upper bound of the name term when at most ``matched_ub`` bits of the query can be
    matched (a float or a numpy array): the list side taken as perfectly covered."""
    p = NAME_PARAMS
    m = np.minimum(matched_ub, q_weight)
    bonus = p["full"] + p["full_per_token"] * (q_tokens - 1)
    if all_covered is None:
        all_covered = m >= q_weight - 1e-6
    full = np.where(all_covered, bonus, 0.0)
    ev = (
        np.minimum(m, MATCHED_BITS_CAP)
        - p["q_left"] * np.minimum(q_weight - m, p["q_left_cap"])
        + full
    )
    return saturate((ev - p["L0"]) / p["scale"])


# -- evidence -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: str  # dob | country | id | gender | schema
    outcome: str  # agree | contradict | ...
    effect: float  # log-odds added
    detail: str


PERSONISH = {Schema.PERSON}
ORGISH = {Schema.ORGANIZATION, Schema.COMPANY, Schema.LEGAL_ENTITY}


def schemas_compatible(a: Schema | None, b: Schema | None) -> bool:
    if a is None or b is None or a is Schema.THING or b is Schema.THING or a == b:
        return True
    if a is Schema.LEGAL_ENTITY and b in (Schema.PERSON, *ORGISH):
        return True
    if b is Schema.LEGAL_ENTITY and a in (Schema.PERSON, *ORGISH):
        return True
    return a in ORGISH and b in ORGISH


def _year(v: str) -> int | None:
    try:
        return int(v[:4])
    except (TypeError, ValueError):
        return None


def dob_evidence(query_dates: Sequence[str], dates: Sequence[DateValue]) -> Evidence | None:
    if not query_dates or not dates:
        return None
    best: Evidence | None = None
    for qd in query_dates:
        qy = _year(qd)
        for d in dates:
            if not d.value:
                continue
            lo, hi = _year(d.value), _year(d.end or d.value)
            if lo is None or hi is None or qy is None:
                continue
            if d.end or d.circa:
                slack = 1 if d.circa else 0
                if lo - slack <= qy <= hi + slack:
                    ev = Evidence(
                        "dob", "year", DOB_YEAR * 0.6, f"{qd} within {d.value}..{d.end or d.value}"
                    )
                elif lo - 1 - slack <= qy <= hi + 1 + slack:
                    ev = Evidence("dob", "near", DOB_NEAR, f"{qd} about {d.value}")
                else:
                    ev = Evidence("dob", "contradict", DOB_CONTRADICT, f"{qd} vs {d.value}")
            else:
                common = min(len(qd), len(d.value))
                if qd[:common] == d.value[:common]:
                    if common >= 10:
                        ev = Evidence("dob", "exact", DOB_EXACT, f"{qd} = {d.value}")
                    elif common >= 7:
                        ev = Evidence("dob", "month", DOB_MONTH, f"{qd} ~ {d.value}")
                    else:
                        ev = Evidence("dob", "year", DOB_YEAR, f"{qd} ~ {d.value}")
                elif abs(qy - lo) <= 1 and qy != lo:
                    ev = Evidence("dob", "near", DOB_NEAR, f"{qd} within a year of {d.value}")
                elif qy == lo:
                    # Same year, different month/day: often a data-entry slip.
                    ev = Evidence("dob", "near", 0.0, f"{qd} same year as {d.value}")
                else:
                    ev = Evidence("dob", "contradict", DOB_CONTRADICT, f"{qd} vs {d.value}")
            if best is None or ev.effect > best.effect:
                best = ev
    return best


def country_evidence(query: Sequence[str], countries: Sequence[str]) -> Evidence | None:
    if not query or not countries:
        return None
    common = set(query) & set(countries)
    if common:
        return Evidence("country", "agree", COUNTRY_AGREE, ", ".join(sorted(common)))
    return Evidence(
        "country",
        "contradict",
        COUNTRY_CONTRADICT,
        f"{', '.join(query)} vs {', '.join(sorted(set(countries)))}",
    )


def id_evidence(query: Sequence[str], ids: Sequence[str]) -> Evidence | None:
    if not query or not ids:
        return None
    common = set(query) & set(ids)
    if common:
        return Evidence("id", "agree", ID_MATCH, ", ".join(sorted(common)))
    return Evidence("id", "contradict", ID_CONTRADICT, "no identifier in common")


def gender_evidence(query: str | None, gender: str | None) -> Evidence | None:
    if not query or not gender:
        return None
    if query == gender:
        return Evidence("gender", "agree", GENDER_AGREE, gender)
    return Evidence("gender", "contradict", GENDER_CONTRADICT, f"{query} vs {gender}")


def schema_evidence(query: Schema | None, schema: Schema | None) -> Evidence | None:
    if query is None or schema is None:
        return None
    if schemas_compatible(query, schema):
        return None
    return Evidence("schema", "contradict", SCHEMA_INCOMPATIBLE, f"{query.value} vs {schema.value}")


MAX_POSITIVE_EVIDENCE_NO_ID = DOB_EXACT + COUNTRY_AGREE + GENDER_AGREE
