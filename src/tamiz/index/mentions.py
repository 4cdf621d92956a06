"""Read-only views of a :class:`~tamiz.index.compiled.CompiledIndex` for finding mentions of
listed names in running text.

Screening a single name asks "which list names resemble this string"; scanning a text asks
the opposite first: "which stretches of this text could be a list name at all". Answering
that with one full search per window of words would cost a search for every position. This
module instead answers it from the vocabulary and postings:

- :meth:`MentionIndex.token_names`: the list names reachable from one text token through its
  close vocabulary expansions (cached per token: a text repeats its words);
- :meth:`MentionIndex.names_hit`: for a run of tokens, the list names at least two of whose
  tokens occur in the run, with the run positions that hit them;
- :meth:`MentionIndex.single_token_names`: list names made of exactly one distinctive token
  (``HAMAS``, ``GAZPROM PAO``), the only ones a one-word mention may stand for.

Only the compiled index's public attributes are read; nothing is added to the index file.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from tamiz.index.compiled import KINDS, SCHEMAS, CompiledIndex
from tamiz.index.normalize import LATIN, Token
from tamiz.model import Schema

# Expansions below this similarity do not make a text token a candidate for a list token:
# running text is full of words one letter away from some listed name.
MIN_MENTION_SIMILARITY = 0.8
_CACHE_LIMIT = 100_000
_VIEWS: weakref.WeakKeyDictionary[CompiledIndex, MentionIndex] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class NameHit:
    """A list name touched by a run of text tokens."""

    name: int  # index name number
    positions: tuple[int, ...]  # run positions whose token reached one of the name's tokens
    tokens: int  # number of distinct list tokens of the name that were reached
    length: int  # number of tokens of the list name (legal forms included)


class MentionIndex:
    """Mention-finding helpers over one compiled index (build with :meth:`of`)."""

    def __init__(self, compiled: CompiledIndex) -> None:
        self.ix = compiled
        ptr = compiled.name_ptr
        self.name_length = np.diff(ptr).astype(np.int32)
        legal = compiled.vocab_legal[compiled.name_tok]
        starts = ptr[:-1]
        nonempty = self.name_length > 0
        core = np.zeros(compiled.n_names, dtype=np.int32)
        if nonempty.any():
            core[nonempty] = np.add.reduceat((~legal).astype(np.int32), starts[nonempty])
        self.core_length = core  # tokens that are not legal forms / organisation words
        self._single: dict[int, list[int]] = {}
        for n in np.flatnonzero(core == 1).tolist():
            toks = compiled.name_tok[ptr[n] : ptr[n + 1]].tolist()
            for v in toks:
                if not compiled.vocab_legal[v]:
                    self._single.setdefault(v, []).append(n)
        self._token_cache: dict[tuple[str, str, str], tuple[np.ndarray, dict[int, float]]] = {}

    @classmethod
    def of(cls, compiled: CompiledIndex) -> MentionIndex:
        """The (cached) view of ``compiled``; built once per index object."""
        view = _VIEWS.get(compiled)
        if view is None:
            view = _VIEWS[compiled] = cls(compiled)
        return view

    # -- per token ------------------------------------------------------------------------

    def close_vocab(self, token: Token) -> dict[int, float]:
        """Vocabulary ids close to ``token`` (similarity >= MIN_MENTION_SIMILARITY)."""
        return self._lookup(token)[1]

    def token_names(self, token: Token) -> np.ndarray:
        """Sorted unique list-name numbers containing a token close to ``token``."""
        return self._lookup(token)[0]

    def _lookup(self, token: Token) -> tuple[np.ndarray, dict[int, float]]:
        key = (token.text, token.skel, token.script)
        hit = self._token_cache.get(key)
        if hit is not None:
            return hit
        ix = self.ix
        close = {
            v: sim for v, (sim, _how) in ix.expand(token).items() if sim >= MIN_MENTION_SIMILARITY
        }
        ptr, post = ix.post_ptr, ix.post_name
        parts = [post[ptr[v] : ptr[v + 1]] for v in close]
        names = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int32)
        if len(self._token_cache) > _CACHE_LIMIT:
            self._token_cache.clear()
        self._token_cache[key] = (names, close)
        return names, close

    def weight(self, token: Token) -> float:
        """Information of a text token in bits, as the matcher weighs a query token."""
        return self.ix.query_weight(token)

    def is_known(self, token: Token) -> bool:
        return bool(self.close_vocab(token))

    # -- per run of tokens ----------------------------------------------------------------

    def names_hit(self, tokens: list[Token | None], *, min_tokens: int = 2) -> list[NameHit]:
        """List names at least ``min_tokens`` of whose distinct tokens are reached by tokens
        of the run (``None`` marks a position without a token, e.g. a particle)."""
        per_pos = [self.token_names(t) if t is not None else None for t in tokens]
        arrays = [a for a in per_pos if a is not None and len(a)]
        if len(arrays) < min_tokens:
            return []
        allnames = np.concatenate(arrays)
        uniq, counts = np.unique(allnames, return_counts=True)
        cands = uniq[counts >= min_tokens]
        if not len(cands):
            return []
        ix = self.ix
        out: list[NameHit] = []
        for n in cands.tolist():
            name_vids = set(ix.name_tokens(n))
            positions: list[int] = []
            reached: set[int] = set()
            for i, t in enumerate(tokens):
                if t is None:
                    continue
                common = name_vids.intersection(self.close_vocab(t))
                if common:
                    positions.append(i)
                    reached |= common
            if len(reached) >= min_tokens:
                out.append(NameHit(n, tuple(positions), len(reached), int(self.name_length[n])))
        return out

    def single_token_names(self, token: Token) -> list[int]:
        """List names whose only distinctive token is ``token``: the same text, or for a
        token written in another script a transliteration of it (similarity >= 0.9)."""
        v = self.ix.vid.get(token.text)
        if v is not None and token.script == LATIN:
            return self._single.get(v, [])
        out: list[int] = []
        for vid, sim in self.close_vocab(token).items():
            if vid == v or (sim >= 0.9 and token.script != LATIN):
                out.extend(self._single.get(vid, ()))
        return out

    def best_similarity(self, token: Token) -> float:
        """Similarity of ``token`` to its closest vocabulary token (0 when none is close)."""
        return max(self.close_vocab(token).values(), default=0.0)

    # -- per list name --------------------------------------------------------------------

    def name_kind(self, n: int) -> str:
        return KINDS[int(self.ix.name_kind[n])]

    def name_schema(self, n: int) -> Schema:
        return SCHEMAS[int(self.ix.entity_schema[int(self.ix.name_entity[n])])]

    def name_entity_id(self, n: int) -> str:
        return self.ix.entity_ids[int(self.ix.name_entity[n])]


__all__ = ["MIN_MENTION_SIMILARITY", "MentionIndex", "NameHit"]
