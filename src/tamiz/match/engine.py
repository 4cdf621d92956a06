"""Search and compare: retrieval over the compiled index, scoring, explanations."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tamiz.index.compiled import (
    KINDS,
    CompiledIndex,
    EntityInfo,
    head_mask,
    normalize_id,
    token_weight,
)
from tamiz.index.names import prior_bits
from tamiz.index.normalize import (
    ABJAD,
    ACRONYM_MIN,
    Token,
    acronym_spans,
    skeleton,
    tokenize,
)
from tamiz.index.similarity import token_similarity
from tamiz.match.explain import AlignedToken, AttributeEffect, Explanation, summarize
from tamiz.match.query import Query, QueryError
from tamiz.match.scoring import (
    COUNTRY_AGREE,
    DOB_EXACT,
    GENDER_AGREE,
    INITIAL_BITS,
    KIND_ADJUST,
    Acronym,
    Evidence,
    NameScore,
    confirmed,
    country_evidence,
    dob_evidence,
    gender_evidence,
    id_evidence,
    logit,
    name_score,
    name_z_bound,
    schema_evidence,
    sigmoid,
)
from tamiz.model import DateValue, Entity, Identifier, Name, NameKind, Schema

DEFAULT_THRESHOLD = 0.70
ALGORITHM = "tamiz-name-v1"
# Most entities fully scored per query name; candidates come best-bound first, so this only
# bites on queries made of very common tokens, whose candidates all score low.
MAX_SCORED = 150
_FORK_INDEX: MatchIndex | None = None


def _search_chunk(args: tuple[list[Query], dict]) -> list[list[MatchResult]]:
    queries, kwargs = args
    assert _FORK_INDEX is not None
    return [_FORK_INDEX.search(q, **kwargs) for q in queries]


# Schemas that may be a person or an organisation: their names are read as typed.
_ANY_SCHEMA = (Schema.LEGAL_ENTITY, Schema.THING)
_KIND_Z = np.array([KIND_ADJUST.get(k, 0.0) for k in KINDS])
_KIND_ADJ_LIST = [KIND_ADJUST.get(k, 0.0) for k in KINDS]
_ALWAYS_SCORE = 3.0  # log-odds bound (score 0.95) above which a candidate is always scored


@dataclass(frozen=True, slots=True)
class MatchResult:
    entity_id: str
    score: float
    match: bool
    explanation: Explanation
    caption: str = ""
    schema: str = ""
    datasets: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.entity_id,
            "caption": self.caption,
            "schema": self.schema,
            "score": round(self.score, 4),
            "match": self.match,
            "datasets": list(self.datasets),
            "programs": list(self.programs),
            "topics": list(self.topics),
            "explanation": self.explanation.to_dict(),
        }


# -- shared scoring of one query against one entity ---------------------------------------


def _evidence(query: Query, info: EntityInfo) -> list[Evidence]:
    dates = [DateValue(v, end, circa) for v, end, circa in info.birth_dates]
    out = [
        schema_evidence(query.schema, info.schema),
        dob_evidence(query.birth_dates, dates),
        country_evidence(query.countries, info.countries),
        id_evidence(query.identifiers, info.identifiers),
        gender_evidence(query.gender, info.gender),
    ]
    return [e for e in out if e is not None]


@dataclass(slots=True)
class _Prepared:
    text: str
    tokens: tuple[Token, ...]
    weights: list[float]
    # Organisation queries: runs of query words that may stand behind a list acronym, and
    # per index name the list runs a query word is the acronym of.
    acro: list[Acronym] = field(default_factory=list)
    acro_hits: dict[int, list[Acronym]] = field(default_factory=dict)


def _result(
    query_name: _Prepared,
    list_name: str,
    list_tokens: Sequence[Token],
    list_weights: Sequence[float],
    kind: str,
    ns: NameScore,
    evidence: list[Evidence],
    info: EntityInfo,
    threshold: float,
) -> MatchResult:
    z_name = ns.z + KIND_ADJUST.get(kind, 0.0)
    z = z_name + sum(e.effect for e in evidence)
    score = sigmoid(z)
    aligned = []
    used_q: set[int] = set()
    used_n: set[int] = set()
    for e in ns.edges:
        aligned.append(
            AlignedToken(
                query=" ".join(query_name.tokens[i].text for i in e.q),
                listed=" ".join(list_tokens[j].text for j in e.n),
                how=e.how,
                weight=sum(query_name.weights[i] for i in e.q),
                similarity=e.sim,
            )
        )
        used_q.update(e.q)
        used_n.update(e.n)
    uq = tuple(t.text for i, t in enumerate(query_name.tokens) if i not in used_q)
    un = tuple(t.text for j, t in enumerate(list_tokens) if j not in used_n)
    attrs = tuple(AttributeEffect(e.kind, e.outcome, e.effect, e.detail) for e in evidence)
    feats = dict(ns.features)
    if ns.number_conflict:
        feats["number_conflict"] = 1.0
    expl = Explanation(
        query_name=query_name.text,
        matched_name=list_name,
        name_kind=kind,
        aligned=tuple(aligned),
        unmatched_query=uq,
        unmatched_list=un,
        name_score=sigmoid(z_name),
        attributes=attrs,
        features=feats,
        summary=summarize(score, list_name, kind, tuple(aligned), uq, un, attrs),
    )
    return MatchResult(
        entity_id=info.id,
        score=score,
        match=score >= threshold,
        explanation=expl,
        caption=info.caption,
        schema=info.schema.value,
        datasets=info.datasets,
        programs=info.programs,
        topics=info.topics,
    )


# -- the index ----------------------------------------------------------------------------


class MatchIndex:
    """Compiled, immutable index of list entities; thread-safe for readers."""

    def __init__(self, compiled: CompiledIndex) -> None:
        self._ix = compiled

    @classmethod
    def build(cls, entities: Iterable[Entity]) -> MatchIndex:
        return cls(CompiledIndex.build(entities))

    def save(self, path: str | os.PathLike) -> None:
        self._ix.save(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> MatchIndex:
        return cls(CompiledIndex.load(path))

    def __len__(self) -> int:
        return len(self._ix.entity_ids)

    def entity_ids(self) -> list[str]:
        return list(self._ix.entity_ids)

    @property
    def name_count(self) -> int:
        return self._ix.n_names

    @property
    def compiled(self) -> CompiledIndex:
        """The compiled index underneath (read-only use: vocabulary, postings, ids)."""
        return self._ix

    # -- preparation -------------------------------------------------------------------

    def _prepare(self, query: Query) -> list[_Prepared]:
        out = []
        for text, tokens in query.prepared:
            if query.schema is not None and query.schema not in _ANY_SCHEMA:
                # As the list's names of that schema are read (organisation words, or none).
                tokens = tokenize(text, organisation=query.schema is not Schema.PERSON) or tokens
            tokens = tokens[:24]
            p = _Prepared(text, tokens, [self._ix.query_weight(t) for t in tokens])
            if query.schema is not Schema.PERSON:
                p.acro = acronym_spans(tokens)
                for t in tokens:
                    if t.legal or len(t.text) < ACRONYM_MIN or not t.text.isalpha():
                        continue
                    names, spans = self._ix.acronym_names(t.text)
                    for n, span in zip(names.tolist(), spans.tolist(), strict=True):
                        p.acro_hits.setdefault(n, []).append((span >> 5, span & 31, t.text))
            out.append(p)
        return out

    def _sim_fn(self, memo: dict, exps: list[dict]):
        tokens = self._ix.tokens

        def sim(i: int, qt: Token, vid: int, _nt: Token) -> tuple[float, str]:
            key = (i, vid)
            r = memo.get(key)
            if r is None:
                r = exps[i].get(vid)
                if r is None:
                    r = token_similarity(qt, tokens[vid])
                memo[key] = r
            return r

        return sim

    def _score_entity(
        self,
        e: int,
        names: Sequence[int] | None,
        prepared: list[_Prepared],
        sims: list,
        evidence: list[Evidence],
        threshold: float,
    ) -> MatchResult | None:
        """The entity's best name against the query; None when below ``threshold``."""
        ix = self._ix
        best: tuple[float, int, int, NameScore] | None = None
        if names is None:
            names = self.names_of(e)
        kinds = ix.name_kind_list
        for n in names:
            vids = ix.name_toks[n]
            ntoks = [ix.tokens[v] for v in vids]
            nw = [ix._weights_list[v] for v in vids]
            adjust = _KIND_ADJ_LIST[kinds[n]]
            heads = ix.name_head_list[n]
            for qi, qp in enumerate(prepared):
                ns = name_score(
                    qp.tokens,
                    ntoks,
                    qp.weights,
                    nw,
                    sims[qi],
                    vids,
                    n_heads=heads,
                    q_acro=qp.acro,
                    n_acro=qp.acro_hits.get(n, ()),
                )
                z = ns.z + adjust
                if best is None or z > best[0]:
                    best = (z, qi, n, ns)
        if best is None:
            return None
        z, qi, n, ns = best
        if sigmoid(z + sum(x.effect for x in evidence)) < threshold:
            return None
        vids = ix.name_toks[n]
        return _result(
            prepared[qi],
            ix.name_text[n],
            [ix.tokens[v] for v in vids],
            [ix._weights_list[v] for v in vids],
            KINDS[kinds[n]],
            ns,
            evidence,
            ix.entity_info(e),
            threshold,
        )

    # -- retrieval ---------------------------------------------------------------------

    def _groups(self, p: _Prepared) -> list[tuple[tuple[int, ...], float, dict]]:
        """Retrieval groups: (query positions, weight, expansions)."""
        ix = self._ix
        groups: list[tuple[tuple[int, ...], float, dict]] = []
        toks = p.tokens
        for i, t in enumerate(toks):
            groups.append(((i,), p.weights[i], self._confirmable(t)))
            letter = None if t.is_initial or t.is_number else ix.vid.get(t.text[:1])
            if letter is not None:
                # A list initial standing for this token (A & S CARRIER / Sherman).
                share = min(1.0, INITIAL_BITS / max(p.weights[i], 1e-6))
                groups.append(((i,), p.weights[i], {letter: (share, "initial")}))
            for a, b in ix.split_compound(t):
                half = p.weights[i] / 2
                groups.append(((i,), half, {a: (0.9, "translit")}))
                groups.append(((i,), half, {b: (0.9, "translit")}))
        for i in range(len(toks) - 1):
            a, b = toks[i], toks[i + 1]
            if a.is_number or b.is_number or a.is_initial or b.is_initial:
                continue
            text = a.text + b.text
            exp = self._confirmable(Token(text, _skel(text), a.script))
            if exp:
                groups.append(((i, i + 1), p.weights[i] + p.weights[i + 1], exp))
        for i0, i1, letters in p.acro:
            vid = ix.vid.get(letters)
            if vid is not None:
                # The list writes these query words as their acronym.
                groups.append((tuple(range(i0, i1)), sum(p.weights[i0:i1]), {vid: (1.0, "")}))
        return groups

    def _confirmable(self, token: Token) -> dict[int, tuple[float, str]]:
        """Expansions of a token with the share of its information each would confirm in
        scoring (see scoring.confirmed): tighter retrieval bounds than raw similarity."""
        key = ("conf", token.text, token.skel, token.script)
        cache = self._ix._expand_cache
        hit = cache.get(key)
        if hit is None:
            vocab = self._ix.vocab
            n = len(token.text)
            hit = {
                vid: (confirmed(sim, how, max(n, len(vocab[vid]))), how)
                for vid, (sim, how) in self._ix.expand(token).items()
            }
            hit = {vid: v for vid, v in hit.items() if v[0] > 0}
            self._ix._remember(key, hit)
        return hit

    def _matchable(self, p: _Prepared) -> tuple[np.ndarray, np.ndarray]:
        """Names reached by retrieval and, per name, an upper bound of the query bits it can
        match: per query token the best it can do (capped at its weight), plus what glued
        pairs can add."""
        ix = self._ix
        parts = [(pos, w, ix.accumulate([(w, exp)])) for pos, w, exp in self._groups(p)]
        if p.acro_hits:
            # A query word that is the acronym of a run of list words.
            for i, t in enumerate(p.tokens):
                names = [n for n, runs in p.acro_hits.items() if any(r[2] == t.text for r in runs)]
                if names:
                    ids = np.unique(np.array(names, dtype=np.int32))
                    parts.append(((i,), p.weights[i], (ids, np.full(len(ids), p.weights[i]))))
        parts = [(pos, w, r) for pos, w, r in parts if len(r[0])]
        if not parts:
            return np.empty(0, dtype=np.int32), np.empty(0), np.empty(0, dtype=bool)
        cands = np.unique(np.concatenate([r[0] for _, _, r in parts]))
        single = np.zeros((len(p.tokens), len(cands)))
        compounds = []
        for pos, _, (ids, vals) in parts:
            dense = np.zeros(len(cands))
            dense[np.searchsorted(cands, ids)] = vals
            if len(pos) == 1:
                single[pos[0]] += dense
            else:
                compounds.append((pos, dense))
        weights = np.array(p.weights)[:, None]
        covered = single >= 0.6 * np.array(p.weights)[:, None]
        for i, t in enumerate(p.tokens):
            if t.is_initial or t.legal:
                covered[i] = True
        single = np.minimum(single, weights)
        total = single.sum(axis=0)
        for pos, dense in compounds:
            w = sum(p.weights[i] for i in pos)
            gain = np.minimum(dense, w) - sum(single[i] for i in pos)
            total += np.maximum(gain, 0.0)
            ok = dense >= 0.6 * w
            for i in pos:
                covered[i] |= ok
        return cands, total, covered.all(axis=0)

    def candidates(
        self,
        query: Query,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        datasets: Collection[str] | None = None,
        topics: Collection[str] | None = None,
        exclude_topics: Collection[str] | None = None,
    ) -> list[tuple[str, float]]:
        """Retrieval only: (entity id, score upper bound) for every entity that could reach
        ``threshold``, best bound first. Used to measure retrieval recall. Filters as in
        :meth:`search`."""
        prepared = self._prepare(query)
        allowed = self._ix.entity_filter(datasets, topics, exclude_topics)
        bounds = self._entity_bounds(query, prepared, threshold, allowed)
        return [(self._ix.entity_ids[e], sigmoid(z)) for e, z, _ in bounds]

    def _entity_bounds(
        self,
        query: Query,
        prepared: list[_Prepared],
        threshold: float,
        allowed: np.ndarray | None,
        exclude: Collection[int] = (),
    ) -> list[tuple[int, float, list[int]]]:
        ix = self._ix
        cut = logit(threshold)
        ev_max = _max_evidence(query)
        per_entity: dict[int, tuple[float, list[int]]] = {}
        for p in prepared:
            wq = sum(p.weights) or 1.0
            slack = sum(w for t, w in zip(p.tokens, p.weights, strict=True) if t.is_initial)
            names, amounts, all_covered = self._matchable(p)
            if not len(names):
                continue
            zb = name_z_bound(amounts + slack, wq, len(p.tokens), all_covered)
            zb = zb + _KIND_Z[ix.name_kind[names]]
            idx = np.flatnonzero(zb + ev_max >= cut)
            if not len(idx):
                continue
            names, zb = names[idx], zb[idx]
            ents = ix.name_entity[names]
            if allowed is not None:
                keep = allowed[ents]
                names, zb, ents = names[keep], zb[keep], ents[keep]
            for n, z, e in zip(names.tolist(), zb.tolist(), ents.tolist(), strict=True):
                if exclude and n in exclude:
                    continue
                cur = per_entity.get(e)
                if cur is None:
                    per_entity[e] = (z, [n])
                else:
                    cur[1].append(n)
                    if z > cur[0]:
                        per_entity[e] = (z, cur[1])
        for vid in query.identifiers:
            for e in ix.id_map.get(vid, ()):
                if e not in per_entity and (allowed is None or allowed[e]):
                    per_entity[e] = (100.0, None)  # type: ignore[assignment]
        out = []
        for e, (z, names) in per_entity.items():
            if z < 100.0:
                ev = _evidence(query, ix.entity_info(e)) if ev_max or query.schema else []
                z = z + sum(x.effect for x in ev)
                if z < cut:
                    continue
            out.append((e, z, names))
        out.sort(key=lambda x: -x[1])
        return out

    # -- search ------------------------------------------------------------------------

    def search(
        self,
        query: Query,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 10,
        datasets: Collection[str] | None = None,
        topics: Collection[str] | None = None,
        exclude_topics: Collection[str] | None = None,
        _exclude_names: Collection[int] = (),
    ) -> list[MatchResult]:
        """Entities scoring at least ``threshold``, best first (at most ``limit``).

        Filters, applied during retrieval (before scoring and before ``limit``):
        ``datasets`` keeps entities of those datasets; ``topics`` keeps entities with a
        FollowTheMoney topic equal to or below one of them (``crime`` covers
        ``crime.terror``; an entity without topics is dropped); ``exclude_topics`` drops
        entities with such a topic.

        ``_exclude_names`` (internal, for leave-one-out measurements) hides index names.
        """
        if not isinstance(query, Query):
            raise QueryError("search() takes a Query")
        prepared = self._prepare(query)
        allowed = self._ix.entity_filter(datasets, topics, exclude_topics)
        bounds = self._entity_bounds(query, prepared, threshold, allowed, _exclude_names)
        memo: list[dict] = [{} for _ in prepared]
        sims = [
            self._sim_fn(memo[i], [self._ix.expand(t) for t in p.tokens])
            for i, p in enumerate(prepared)
        ]
        results: list[MatchResult] = []
        for scored, (e, zub, names) in enumerate(bounds):
            if len(results) >= limit and sigmoid(zub) < results[limit - 1].score:
                break
            if scored >= MAX_SCORED and zub < _ALWAYS_SCORE:
                break
            info = self._ix.entity_info(e)
            ev = _evidence(query, info)
            if names is None:
                names = [n for n in self.names_of(e) if n not in _exclude_names]
            r = self._score_entity(e, names, prepared, sims, ev, threshold)
            if r is not None and r.score >= threshold:
                results.append(r)
                results.sort(key=lambda r: (-r.score, r.entity_id))
        return results[:limit]

    def search_many(
        self,
        queries: Sequence[Query],
        *,
        processes: int = 1,
        chunk_size: int = 512,
        **kwargs: Any,
    ) -> list[list[MatchResult]]:
        """``search`` for many queries, in order. ``processes > 1`` forks worker processes
        that share this index copy-on-write (POSIX only; do not use from a process that runs
        other threads). Keyword arguments are passed to :meth:`search`."""
        queries = list(queries)
        if processes <= 1 or len(queries) < 2 * chunk_size:
            return [self.search(q, **kwargs) for q in queries]
        global _FORK_INDEX
        ctx = multiprocessing.get_context("fork")
        chunks = [queries[i : i + chunk_size] for i in range(0, len(queries), chunk_size)]
        _FORK_INDEX = self
        try:
            with ctx.Pool(processes) as pool:
                parts = pool.map(_search_chunk, [(c, kwargs) for c in chunks])
        finally:
            _FORK_INDEX = None
        return [r for part in parts for r in part]

    def search_exhaustive(
        self,
        query: Query,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int | None = None,
        datasets: Collection[str] | None = None,
        topics: Collection[str] | None = None,
        exclude_topics: Collection[str] | None = None,
    ) -> list[MatchResult]:
        """Scores every entity (slow); for measuring retrieval recall only."""
        prepared = self._prepare(query)
        ix = self._ix
        memo: list[dict] = [{} for _ in prepared]
        sims = [
            self._sim_fn(memo[i], [ix.expand(t) for t in p.tokens]) for i, p in enumerate(prepared)
        ]
        by_entity: dict[int, list[int]] = {}
        for n, e in enumerate(ix.name_entity.tolist()):
            by_entity.setdefault(e, []).append(n)
        allowed = ix.entity_filter(datasets, topics, exclude_topics)
        results = []
        for e, names in by_entity.items():
            if allowed is not None and not allowed[e]:
                continue
            info = ix.entity_info(e)
            r = self._score_entity(e, names, prepared, sims, _evidence(query, info), threshold)
            if r is not None and r.score >= threshold:
                results.append(r)
        results.sort(key=lambda r: (-r.score, r.entity_id))
        return results if limit is None else results[:limit]

    def score_entity(self, query: Query, entity_id: str) -> MatchResult | None:
        """One listed entity scored against ``query`` whatever the score (no retrieval):
        "why did this not match?". None when the id is not in the index."""
        e = self._ix.entity_index.get(entity_id)
        if e is None:
            return None
        prepared = self._prepare(query)
        memo: list[dict] = [{} for _ in prepared]
        sims = [
            self._sim_fn(memo[i], [self._ix.expand(t) for t in p.tokens])
            for i, p in enumerate(prepared)
        ]
        info = self._ix.entity_info(e)
        return self._score_entity(e, None, prepared, sims, _evidence(query, info), 0.0)

    def names_of(self, e: int) -> list[int]:
        """Index name numbers of entity number ``e``."""
        return np.flatnonzero(self._ix.name_entity == e).tolist()

    def get(self, entity_id: str) -> EntityInfo | None:
        e = self._ix.entity_index.get(entity_id)
        return None if e is None else self._ix.entity_info(e)


def _skel(text: str) -> str:
    return skeleton(text)


def _max_evidence(query: Query) -> float:
    ev = 0.0
    if query.birth_dates:
        ev += DOB_EXACT
    if query.countries:
        ev += COUNTRY_AGREE
    if query.gender:
        ev += GENDER_AGREE
    return ev


# -- compare (no index) -------------------------------------------------------------------


def _prior_weights(tokens: Sequence[Token]) -> list[float]:
    return [token_weight(t, prior_bits(t.text, t.skel, t.script == ABJAD)) for t in tokens]


def _entity_info_of(entity: Entity) -> EntityInfo:
    ccs = [*entity.nationalities, *entity.citizenships, *entity.countries]
    ccs += [a.country for a in entity.addresses if a.country]
    ids = {normalize_id(i.value) for i in entity.identifiers if i.value}
    return EntityInfo(
        id=entity.id,
        caption=entity.caption,
        schema=entity.schema,
        datasets=(entity.dataset,),
        programs=entity.programs,
        topics=entity.topics,
        birth_dates=tuple((d.value, d.end, d.circa) for d in entity.birth_dates if d.value),
        countries=tuple(sorted({c for c in ccs if c and len(c) == 2})),
        identifiers=tuple(sorted(v for v in ids if len(v) >= 4)),
        gender=entity.gender,
    )


def _query_as_entity(q: Query) -> Entity:
    return Entity(
        id="query:right",
        dataset="query",
        schema=q.schema or Schema.THING,
        names=tuple(
            Name(n, NameKind.PRIMARY if i == 0 else NameKind.AKA) for i, n in enumerate(q.names)
        ),
        birth_dates=tuple(DateValue(d) for d in q.birth_dates),
        countries=q.countries,
        identifiers=tuple(Identifier("other", v) for v in q.identifiers),
        gender=q.gender,
    )


def compare(
    left: Query, right: Entity | Query, *, threshold: float = DEFAULT_THRESHOLD
) -> MatchResult:
    """Score one query against one record (another query or a list entity).

    Token weights come from the general name-frequency prior only (no list statistics), so
    a score can differ slightly from the same pair found by :meth:`MatchIndex.search`.
    """
    if not isinstance(left, Query):
        raise QueryError("compare() takes a Query on the left")
    entity = _query_as_entity(right) if isinstance(right, Query) else right
    info = _entity_info_of(entity)
    org = entity.schema is not Schema.PERSON
    prepared = []
    for text, tokens in left.prepared:
        if left.schema is not None and left.schema not in _ANY_SCHEMA:
            tokens = tokenize(text, organisation=left.schema is not Schema.PERSON) or tokens
        tokens = tokens[:24]
        acro = acronym_spans(tokens) if left.schema is not Schema.PERSON else []
        prepared.append(_Prepared(text, tokens, _prior_weights(tokens), acro))
    best = None
    for name in entity.names:
        if not name.full or not name.full.strip():
            continue
        ntoks = tokenize(name.full[:2000], organisation=org)[:24]
        if not ntoks:
            continue
        nw = _prior_weights(ntoks)
        heads = head_mask(name.full, ntoks, org)
        n_runs = acronym_spans(ntoks) if org else []
        for qp in prepared:
            n_acro = [r for r in n_runs if any(t.text == r[2] for t in qp.tokens)]
            ns = name_score(
                qp.tokens,
                ntoks,
                qp.weights,
                nw,
                pairwise=True,
                n_heads=heads,
                q_acro=qp.acro if org else (),
                n_acro=n_acro,
            )
            z = ns.z + KIND_ADJUST.get(name.kind.value, 0.0)
            if best is None or z > best[0]:
                best = (z, qp, name, ntoks, nw, ns)
    if best is None:
        raise QueryError("the right-hand record has no name to compare")
    _, qp, name, ntoks, nw, ns = best
    return _result(
        qp, name.full, ntoks, nw, name.kind.value, ns, _evidence(left, info), info, threshold
    )
