"""The compiled name index: vocabulary, postings and the little per-entity data that
matching and result display need (never whole entities).

Layout (numpy arrays, saved in one ``.npz`` file):

- vocabulary: token texts, skeleton keys, script class, legal flag, weight in bits;
- ``post_ptr``/``post_name``: for each vocabulary token the names containing it (CSR);
- ``name_ptr``/``name_tok``: the tokens of each name; ``name_entity``, ``name_kind``;
- fuzzy lookup: hashed deletion neighbourhoods of token texts and of skeletons (SymSpell
  style), so a query token finds its typo and spelling variants without scanning;
- per entity: id, caption, schema, datasets, programs, birth dates, countries, normalised
  identifiers, gender.

Retrieval (:meth:`CompiledIndex.expand` and :meth:`CompiledIndex.accumulate`) expands each
query token to the similar vocabulary tokens and adds, for every name in their postings, the
query token's weight times the similarity: an upper bound of how much of the query a name
can match. Nothing ever iterates over all names.
"""

from __future__ import annotations

import contextlib
import gc
import io
import math
import zlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from tamiz.index.names import nickname_pairs, prior_bits, variant_groups
from tamiz.index.normalize import (
    ABJAD,
    ACRONYM_MIN,
    HAN,
    HANGUL,
    LATIN,
    SYLLABIC,
    TRANSLIT,
    Token,
    acronym_spans,
    skeleton,
    tokenize,
)
from tamiz.index.similarity import (
    GLUED_PREFIXES,
    LENIENT_SCRIPTS,
    MIN_SIMILARITY,
    SUN_PREFIXES,
    abjad_variants,
    token_similarity,
    vowel_norm,
)
from tamiz.model import Entity, NameKind, Schema, has_topic

FORMAT_VERSION = 3  # bump whenever the stored layout changes


def _index_version(names_dir=None) -> str:
    """Format version + a hash of everything an index file's content depends on: the
    package name data (``tamiz/data/names``) and the code that tokenises names, weighs
    tokens and lays out the index. Any change to them makes cached indexes stale."""
    import hashlib
    from importlib import resources

    from tamiz.index import names, normalize

    digest = hashlib.sha256()
    data = names_dir or resources.files("tamiz.data").joinpath("names")
    for entry in sorted(data.iterdir(), key=lambda p: p.name):
        if entry.is_file():
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    for module in (normalize, names):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(Path(__file__).read_bytes())
    return f"{FORMAT_VERSION}-{digest.hexdigest()[:12]}"


INDEX_VERSION = _index_version()
SCRIPTS = (LATIN, TRANSLIT, ABJAD, HAN, HANGUL, SYLLABIC)
KINDS = tuple(k.value for k in NameKind)
SCHEMAS = tuple(s for s in Schema)

LIST_PSEUDO_NAMES = 5_000
LEGAL_BITS = 1.5
NUMBER_BITS = 4.0
INITIAL_BITS = 4.0
MIN_BITS = 1.0
# Name parts that join others (Abd al-Rahman, Abu Bakr, Ould Mohamed): the name they join
# carries the information, so they weigh little.
CONNECTIVES = frozenset(("abd", "abu", "ould"))
CONNECTIVE_BITS = 3.5
MAX_BITS = 17.0


def token_weight(token: Token, prior: float, list_bits: float | None = None) -> float:
    """Information of a token in bits: general prior and list frequency, whichever is
    lower, clipped; legal forms, numbers and initials get fixed small weights."""
    if token.legal:
        return min(prior, list_bits or prior, LEGAL_BITS)
    if token.is_number:
        return NUMBER_BITS
    if token.is_initial:
        return INITIAL_BITS
    bits = prior if list_bits is None else min(prior, list_bits)
    if token.text in CONNECTIVES or (token.script == ABJAD and token.skel == "abd"):
        bits = min(bits, CONNECTIVE_BITS)
    return min(max(bits, MIN_BITS), MAX_BITS)


def head_mask(full: str, tokens: Sequence[Token], organisation: bool) -> int:
    """Bit mask of the head tokens of a person's name written ``SURNAMES, Given names``:
    the first surname and the first given name (0 when the name has no such form)."""
    if organisation or full.count(",") != 1:
        return 0
    left, right = full.split(",")
    n_left = len(tokenize(left, organisation=False))
    n_right = len(tokenize(right, organisation=False))
    if not n_left or not n_right or n_left + n_right != len(tokens):
        return 0
    return 1 | (1 << n_left)


def _h(text: str) -> int:
    return zlib.crc32(text.encode())


def deletion_keys(text: str) -> list[str]:
    """The text and every string one deletion away (tokens of 4+ characters)."""
    if len(text) < 4:
        return [text]
    return [text, *list({text[:i] + text[i + 1 :] for i in range(len(text))})]


def normalize_id(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum())


@dataclass(frozen=True, slots=True)
class EntityInfo:
    id: str
    caption: str
    schema: Schema
    datasets: tuple[str, ...]
    programs: tuple[str, ...]
    birth_dates: tuple[tuple[str, str | None, bool], ...]
    countries: tuple[str, ...]
    identifiers: tuple[str, ...]
    gender: str | None
    topics: tuple[str, ...] = ()  # FtM topics of the entity's designations


class CompiledIndex:
    """Immutable after construction; safe to share between threads."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        self.vocab: list[str] = meta["vocab"]
        self.vocab_skel: list[str] = meta["vocab_skel"]
        self.vocab_script = arrays["vocab_script"]
        self.vocab_legal = arrays["vocab_legal"]
        self.vocab_weight = arrays["vocab_weight"]
        self.post_ptr = arrays["post_ptr"]
        self.post_name = arrays["post_name"]
        self.name_ptr = arrays["name_ptr"]
        self.name_tok = arrays["name_tok"]
        self.name_entity = arrays["name_entity"]
        self.name_kind = arrays["name_kind"]
        # Older index files have no head marks: no name part is a head.
        self.name_head = arrays.get("name_head", np.zeros(len(arrays["name_kind"]), np.int32))
        self.del_hash = arrays["del_hash"]
        self.del_vid = arrays["del_vid"]
        self.skel_del_hash = arrays["skel_del_hash"]
        self.skel_del_vid = arrays["skel_del_vid"]
        self.phon_del_hash = arrays["phon_del_hash"]
        self.phon_del_vid = arrays["phon_del_vid"]
        self.acro_hash = arrays["acro_hash"]
        self.acro_name = arrays["acro_name"]
        self.acro_span = arrays["acro_span"]
        self.entity_schema = arrays["entity_schema"]
        self.entity_dataset = arrays["entity_dataset"]
        self.name_text: list[str] = meta["name_text"]
        self.entity_ids: list[str] = meta["entity_ids"]
        self.captions: list[str] = meta["captions"]
        self.dataset_names: list[str] = meta["datasets"]
        self.entity_programs: list[list[str]] = meta["programs"]
        self.entity_dates: list[list] = meta["dates"]
        self.entity_countries: list[list[str]] = meta["countries"]
        self.entity_ids_norm: list[list[str]] = meta["identifiers"]
        self.entity_gender: list[str | None] = meta["gender"]
        self.entity_topics: list[list[str]] = meta["topics"]
        self.n_names = len(self.name_entity)
        self.vid = {t: i for i, t in enumerate(self.vocab)}
        self.tokens = [
            Token(t, s, SCRIPTS[int(sc)], bool(lg))
            for t, s, sc, lg in zip(
                self.vocab,
                self.vocab_skel,
                self.vocab_script.tolist(),
                self.vocab_legal.tolist(),
                strict=True,
            )
        ]
        skel_map: dict[str, list[int]] = {}
        for i, s in enumerate(self.vocab_skel):
            skel_map.setdefault(s, []).append(i)
        self.skel_map = skel_map
        id_map: dict[str, list[int]] = {}
        for e, ids in enumerate(self.entity_ids_norm):
            for v in ids:
                id_map.setdefault(v, []).append(e)
        self.id_map = id_map
        self.entity_index = {eid: i for i, eid in enumerate(self.entity_ids)}
        toks, ptr = self.name_tok.tolist(), self.name_ptr.tolist()
        self.name_toks: list[list[int]] = [toks[ptr[i] : ptr[i + 1]] for i in range(self.n_names)]
        self.name_kind_list: list[int] = self.name_kind.tolist()
        self.name_head_list: list[int] = self.name_head.tolist()
        self._infos: list[EntityInfo | None] = [None] * len(self.entity_ids)
        self._expand_cache: dict[tuple[str, str, str], dict[int, tuple[float, str]]] = {}
        self._weights_list = self.vocab_weight.tolist()
        self._filters: dict[tuple, np.ndarray] = {}
        self._by_topic: dict[str, list[int]] | None = None

    # -- construction ------------------------------------------------------------------

    @classmethod
    def build(cls, entities: Iterable[Entity]) -> CompiledIndex:
        vocab: dict[str, int] = {}
        vocab_tok: list[Token] = []
        name_toks: list[list[int]] = []
        name_entity: list[int] = []
        name_kind: list[int] = []
        name_head: list[int] = []
        name_text: list[str] = []
        ent_ids: list[str] = []
        captions: list[str] = []
        schemas: list[int] = []
        ds_index: dict[str, int] = {}
        ent_ds: list[int] = []
        programs: list[list[str]] = []
        dates: list[list] = []
        countries: list[list[str]] = []
        idents: list[list[str]] = []
        genders: list[str | None] = []
        topics: list[list[str]] = []
        acro: list[tuple[int, int, int]] = []  # (hash of initials, name, start << 5 | end)
        seen_ids: set[str] = set()
        for ent in entities:
            if ent.id in seen_ids:
                raise ValueError(f"duplicate entity id {ent.id!r} in index input")
            seen_ids.add(ent.id)
            e = len(ent_ids)
            org = ent.schema is not Schema.PERSON
            seen_names: set[tuple[int, ...]] = set()
            added = 0
            for name in ent.names:
                if not name.full or not name.full.strip():
                    continue
                try:
                    toks = tokenize(name.full[:2000], organisation=org)
                except Exception:  # a malformed published name must not stop the build
                    continue
                if not toks:
                    continue
                ids = []
                for t in toks[:24]:
                    v = vocab.get(t.text)
                    if v is None:
                        v = vocab[t.text] = len(vocab_tok)
                        vocab_tok.append(t)
                    ids.append(v)
                key = tuple(ids)
                if key in seen_names:
                    continue
                seen_names.add(key)
                name_toks.append(ids)
                name_entity.append(e)
                name_kind.append(KINDS.index(name.kind.value))
                name_text.append(name.full)
                name_head.append(head_mask(name.full, toks, org) if len(toks) <= 24 else 0)
                if org:
                    for a, b, letters in acronym_spans(toks[:24]):
                        acro.append((_h(letters), len(name_toks) - 1, (a << 5) | b))
                added += 1
            if not added:
                continue
            ent_ids.append(ent.id)
            captions.append(ent.caption)
            schemas.append(SCHEMAS.index(ent.schema))
            ent_ds.append(ds_index.setdefault(ent.dataset, len(ds_index)))
            programs.append(list(ent.programs))
            dates.append([[d.value, d.end, d.circa] for d in ent.birth_dates if d.value])
            ccs = [*ent.nationalities, *ent.citizenships, *ent.countries]
            ccs += [a.country for a in ent.addresses if a.country]
            countries.append(sorted({c for c in ccs if c and len(c) == 2}))
            norm = {normalize_id(i.value) for i in ent.identifiers if i.value}
            idents.append(sorted(v for v in norm if len(v) >= 4))
            genders.append(ent.gender)
            topics.append(list(ent.topics))

        n_names = len(name_toks)
        df = np.zeros(len(vocab_tok), dtype=np.int64)
        for ids in name_toks:
            for v in set(ids):
                df[v] += 1
        weights = np.empty(len(vocab_tok), dtype=np.float32)
        for v, t in enumerate(vocab_tok):
            # A pseudo-count keeps a small list (a user's own list of ten names) from making
            # every token look common; on the full lists it shifts weights by ~0.15 bit.
            list_bits = math.log2((n_names + LIST_PSEUDO_NAMES) / (df[v] + 0.5))
            weights[v] = token_weight(t, prior_bits(t.text, t.skel, t.script == ABJAD), list_bits)

        name_ptr = np.zeros(n_names + 1, dtype=np.int64)
        name_ptr[1:] = np.cumsum([len(x) for x in name_toks])
        name_tok = np.fromiter((v for ids in name_toks for v in ids), dtype=np.int32)
        # Postings: sort (token, name) pairs.
        owner = np.repeat(np.arange(n_names, dtype=np.int32), np.diff(name_ptr))
        order = np.lexsort((owner, name_tok))
        sorted_tok = name_tok[order]
        post_name = owner[order]
        post_ptr = np.zeros(len(vocab_tok) + 1, dtype=np.int64)
        np.add.at(post_ptr, sorted_tok + 1, 1)
        post_ptr = np.cumsum(post_ptr)
        # Drop duplicate (token, name) pairs from repeated tokens in one name.
        keep = np.ones(len(post_name), dtype=bool)
        keep[1:] = (sorted_tok[1:] != sorted_tok[:-1]) | (post_name[1:] != post_name[:-1])
        if not keep.all():
            post_name = post_name[keep]
            counts = np.bincount(sorted_tok[keep], minlength=len(vocab_tok))
            post_ptr = np.zeros(len(vocab_tok) + 1, dtype=np.int64)
            post_ptr[1:] = np.cumsum(counts)

        dh, dv, sh, sv, ph, pv = [], [], [], [], [], []
        for v, t in enumerate(vocab_tok):
            if t.is_number:
                continue
            for k in deletion_keys(t.text):
                dh.append(_h(k))
                dv.append(v)
            if len(t.text) >= 3:
                for k in deletion_keys(vowel_norm(t.text)):
                    ph.append(_h(k))
                    pv.append(v)
            if len(t.skel) >= 4:
                for k in deletion_keys(t.skel):
                    sh.append(_h(k))
                    sv.append(v)
        del_hash, del_vid = _sorted_pairs(dh, dv)
        skel_del_hash, skel_del_vid = _sorted_pairs(sh, sv)
        phon_del_hash, phon_del_vid = _sorted_pairs(ph, pv)
        acro.sort()
        acro_hash = np.array([a[0] for a in acro], dtype=np.uint32)
        acro_name = np.array([a[1] for a in acro], dtype=np.int32)
        acro_span = np.array([a[2] for a in acro], dtype=np.int16)

        arrays = {
            "vocab_script": np.array([SCRIPTS.index(t.script) for t in vocab_tok], dtype=np.uint8),
            "vocab_legal": np.array([t.legal for t in vocab_tok], dtype=np.bool_),
            "vocab_weight": weights,
            "post_ptr": post_ptr,
            "post_name": post_name.astype(np.int32),
            "name_ptr": name_ptr,
            "name_tok": name_tok,
            "name_entity": np.array(name_entity, dtype=np.int32),
            "name_kind": np.array(name_kind, dtype=np.uint8),
            "name_head": np.array(name_head, dtype=np.int32),
            "del_hash": del_hash,
            "del_vid": del_vid,
            "skel_del_hash": skel_del_hash,
            "skel_del_vid": skel_del_vid,
            "phon_del_hash": phon_del_hash,
            "phon_del_vid": phon_del_vid,
            "acro_hash": acro_hash,
            "acro_name": acro_name,
            "acro_span": acro_span,
            "entity_schema": np.array(schemas, dtype=np.uint8),
            "entity_dataset": np.array(ent_ds, dtype=np.int32),
        }
        meta = {
            "format": FORMAT_VERSION,
            "version": INDEX_VERSION,
            "vocab": [t.text for t in vocab_tok],
            "vocab_skel": [t.skel for t in vocab_tok],
            "name_text": name_text,
            "entity_ids": ent_ids,
            "captions": captions,
            "datasets": list(ds_index),
            "programs": programs,
            "dates": dates,
            "countries": countries,
            "identifiers": idents,
            "gender": genders,
            "topics": topics,
        }
        return cls(arrays, meta)

    # -- persistence -------------------------------------------------------------------

    def save(self, path) -> None:
        meta = {
            "format": FORMAT_VERSION,
            "version": INDEX_VERSION,
            "vocab": self.vocab,
            "vocab_skel": self.vocab_skel,
            "name_text": self.name_text,
            "entity_ids": self.entity_ids,
            "captions": self.captions,
            "datasets": self.dataset_names,
            "programs": self.entity_programs,
            "dates": self.entity_dates,
            "countries": self.entity_countries,
            "identifiers": self.entity_ids_norm,
            "gender": self.entity_gender,
            "topics": self.entity_topics,
        }
        arrays = {k: getattr(self, k) for k in _ARRAYS}
        blob = np.frombuffer(orjson.dumps(meta), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez(buf, meta=blob, **arrays)
        with open(path, "wb") as fh:
            fh.write(buf.getvalue())

    @classmethod
    def load(cls, path) -> CompiledIndex:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        with _gc_paused():
            meta = orjson.loads(arrays.pop("meta").tobytes())
            if meta.get("format") != FORMAT_VERSION or meta.get("version") != INDEX_VERSION:
                raise ValueError(
                    f"{path}: index version {meta.get('version') or meta.get('format')} is "
                    f"not {INDEX_VERSION} (built by another tamiz version); rebuild it"
                )
            return cls(arrays, meta)

    # -- lookups -----------------------------------------------------------------------

    def name_tokens(self, n: int) -> list[int]:
        return self.name_toks[n]

    def entity_info(self, e: int) -> EntityInfo:
        info = self._infos[e]
        if info is None:
            info = self._infos[e] = self._make_info(e)
        return info

    def _make_info(self, e: int) -> EntityInfo:
        return EntityInfo(
            id=self.entity_ids[e],
            caption=self.captions[e],
            schema=SCHEMAS[int(self.entity_schema[e])],
            datasets=(self.dataset_names[int(self.entity_dataset[e])],),
            programs=tuple(self.entity_programs[e]),
            birth_dates=tuple((d[0], d[1], bool(d[2])) for d in self.entity_dates[e]),
            countries=tuple(self.entity_countries[e]),
            identifiers=tuple(self.entity_ids_norm[e]),
            gender=self.entity_gender[e],
            topics=tuple(self.entity_topics[e]),
        )

    def entity_filter(
        self,
        datasets: Collection[str] | None = None,
        topics: Collection[str] | None = None,
        exclude_topics: Collection[str] | None = None,
    ) -> np.ndarray | None:
        """Boolean mask over entities allowed by the filters (None: no filter).

        A topic filter also covers sub-topics (``crime`` covers ``crime.terror``); an entity
        without topics fails an include filter. Masks are cached per filter."""
        if datasets is None and not topics and not exclude_topics:
            return None
        key = (
            None if datasets is None else frozenset(datasets),
            frozenset(topics or ()),
            frozenset(exclude_topics or ()),
        )
        mask = self._filters.get(key)
        if mask is not None:
            return mask
        mask = np.ones(len(self.entity_ids), dtype=bool)
        if datasets is not None:
            allowed = [i for i, d in enumerate(self.dataset_names) if d in key[0]]
            mask &= np.isin(self.entity_dataset, allowed)
        if topics or exclude_topics:
            by_topic = self._topic_sets()
            if topics:
                mask &= self._topic_mask(by_topic, key[1])
            if exclude_topics:
                mask &= ~self._topic_mask(by_topic, key[2])
        if len(self._filters) > 64:
            self._filters.clear()
        self._filters[key] = mask
        return mask

    def _topic_sets(self) -> dict[str, list[int]]:
        if self._by_topic is None:
            by_topic: dict[str, list[int]] = {}
            for e, ts in enumerate(self.entity_topics):
                for t in ts:
                    by_topic.setdefault(t, []).append(e)
            self._by_topic = by_topic
        return self._by_topic

    def _topic_mask(self, by_topic: dict[str, list[int]], wanted: frozenset[str]) -> np.ndarray:
        mask = np.zeros(len(self.entity_ids), dtype=bool)
        for topic, ents in by_topic.items():
            if has_topic((topic,), wanted):
                mask[ents] = True
        return mask

    def query_weight(self, token: Token) -> float:
        """Weight of a query token: the list's weight when the list knows the token; else
        the general prior, lowered to the weight of its closest list spelling (an unknown
        spelling is most often a variant or a typo of a known name, not a rare name)."""
        v = self.vid.get(token.text)
        if v is not None and token.script != ABJAD:
            return self._weights_list[v]
        prior = prior_bits(token.text, token.skel, token.script == ABJAD)
        best_sim, best_w = 0.0, None
        for vid, (sim, _) in self.expand(token).items():
            w = self._weights_list[vid]
            if sim > best_sim or (sim == best_sim and best_w is not None and w > best_w):
                best_sim, best_w = sim, w
        if best_w is not None and best_sim >= 0.75:
            prior = min(prior, best_w)
        return token_weight(token, prior)

    def _lookup_hash(self, hashes: np.ndarray, vids: np.ndarray, keys: list[str]) -> set[int]:
        if not len(hashes):
            return set()
        hk = np.array([_h(k) for k in keys], dtype=np.uint32)
        lo = np.searchsorted(hashes, hk, side="left")
        hi = np.searchsorted(hashes, hk, side="right")
        out: set[int] = set()
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            if b > a:
                out.update(vids[a:b].tolist())
        return out

    def expand(self, token: Token) -> dict[int, tuple[float, str]]:
        """Vocabulary tokens similar to ``token``: {vocab id: (similarity, how)}."""
        key = (token.text, token.skel, token.script)
        cached = self._expand_cache.get(key)
        if cached is not None:
            return cached
        cands: set[int] = set()
        text = token.text
        v = self.vid.get(text)
        if v is not None:
            cands.add(v)
        if token.is_number:
            out = {v: (1.0, "exact")} if v is not None else {}
            self._remember(key, out)
            return out
        if token.is_initial:
            out = {v: (1.0, "exact")} if v is not None else {}
            self._remember(key, out)
            return out
        groups = variant_groups()
        if text in groups:
            for word, g in groups.items():
                if g & groups[text] and word in self.vid:
                    cands.add(self.vid[word])
        for _a, b in nickname_pairs_for(text):
            if b in self.vid:
                cands.add(self.vid[b])
        lenient = token.script in LENIENT_SCRIPTS or token.script == SYLLABIC
        skels = {token.skel}
        if token.script == SYLLABIC:
            # The list spells r or l where the syllabary has one sound.
            skels.add(skeleton(text))
        elif token.script == ABJAD and len(token.skel) >= 3:
            skels |= abjad_variants(token.skel)
        fuzzy: set[int] = set()
        # Two-letter skeletons (Saliwa / Slaiwah, Fadwi / Fadavi): buckets of at most ~100.
        if len(token.skel) >= 3 or lenient or (len(token.skel) == 2 and len(text) >= 4):
            for sk in skels:
                fuzzy.update(self.skel_map.get(sk, ()))
        fuzzy |= self._lookup_hash(self.del_hash, self.del_vid, deletion_keys(text))
        if len(text) >= 3:
            # Vowel spellings (Mouchaweh / Mushaweh, Leena / Lina) within one edit.
            keys = deletion_keys(vowel_norm(text))
            fuzzy |= self._lookup_hash(self.phon_del_hash, self.phon_del_vid, keys)
        if len(token.skel) >= 4:  # also catches two-letter typos of long Latin names
            for sk in skels:
                fuzzy |= self._lookup_hash(self.skel_del_hash, self.skel_del_vid, deletion_keys(sk))
        if not lenient:
            # Spellings of one Latin name differ little in length (cheap pre-filter).
            slack = max(2, int(len(text) * 0.4))
            vocab = self.vocab
            fuzzy = {c for c in fuzzy if abs(len(vocab[c]) - len(text)) <= slack}
        cands |= fuzzy
        for prefix in GLUED_PREFIXES:
            sun = prefix in SUN_PREFIXES
            if text.startswith(prefix) and len(text) - len(prefix) >= 3:
                rest = text[len(prefix) :]
                if rest in self.vid:
                    cands.add(self.vid[rest])
                if not sun or rest.startswith(prefix[1:]):
                    # Eddine / din: the rest may be a spelling variant of a list token.
                    cands |= self._lookup_hash(self.del_hash, self.del_vid, deletion_keys(rest))
                    cands.update(self.skel_map.get(skeleton(rest), ()))
            if len(text) >= 3:
                glued = self.vid.get(prefix + text)
                if glued is not None:
                    cands.add(glued)
                elif sun and text.startswith(prefix[1:]):
                    keys = deletion_keys(prefix + text)
                    cands |= self._lookup_hash(self.del_hash, self.del_vid, keys)
        out: dict[int, tuple[float, str]] = {}
        for c in cands:
            other = self.tokens[c]
            s, how = token_similarity(token, other)
            if s >= MIN_SIMILARITY:
                out[c] = (s, how)
        self._remember(key, out)
        return out

    def _remember(self, key, value) -> None:
        if len(self._expand_cache) > 200_000:
            self._expand_cache.clear()
        self._expand_cache[key] = value

    def acronym_names(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Organisation names with a run of words whose initials are ``text`` (IRGC ->
        ISLAMIC REVOLUTIONARY GUARD CORPS): (name ids, start << 5 | end of the run)."""
        if len(text) < ACRONYM_MIN or not text.isalpha() or not len(self.acro_hash):
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int16)
        h = np.uint32(_h(text))
        lo = int(np.searchsorted(self.acro_hash, h, side="left"))
        hi = int(np.searchsorted(self.acro_hash, h, side="right"))
        return self.acro_name[lo:hi], self.acro_span[lo:hi]

    def split_compound(self, token: Token) -> list[tuple[int, int]]:
        """Ways to read a query token as two adjacent list tokens (petrogreen -> petro
        green; khalilzighraybah -> khalil zaghraybah): one part a known token, the other a
        known token or a close spelling of one."""
        text = token.text
        out: list[tuple[int, int]] = []
        if len(text) < 4 or token.is_number:
            return out
        key = ("split", text, token.script)
        cached = self._expand_cache.get(key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        for k in range(2, len(text) - 1):
            head, tail = text[:k], text[k:]
            a, b = self.vid.get(head), self.vid.get(tail)
            if a is not None and b is not None:
                # Two-letter parts only as exact tokens (Su Nam / Sunam, Hong Ri / Hongri).
                out.append((a, b))
            if k < 3 or len(tail) < 3:
                continue
            if a is not None and len(tail) >= 5:
                rest = Token(tail, skeleton(tail), token.script)
                out.extend((a, v) for v, (sim, _) in self.expand(rest).items() if sim >= 0.8)
            if b is not None and len(head) >= 5:
                rest = Token(head, skeleton(head), token.script)
                out.extend((v, b) for v, (sim, _) in self.expand(rest).items() if sim >= 0.8)
            if len(out) > 40:
                break
        self._remember(key, out)
        return out

    def accumulate(
        self, groups: Sequence[tuple[float, dict[int, tuple[float, str]]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Names reached by any expansion and, per name, the sum of weight x similarity.

        ``groups`` is a list of (query weight, expansions). Returns (name ids, amounts).
        """
        ids: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        ptr = self.post_ptr
        for weight, exp in groups:
            for vid, (sim, _) in exp.items():
                a, b = int(ptr[vid]), int(ptr[vid + 1])
                if b > a:
                    ids.append(self.post_name[a:b])
                    vals.append(np.full(b - a, weight * sim, dtype=np.float32))
        if not ids:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        all_ids = np.concatenate(ids)
        all_vals = np.concatenate(vals)
        if len(all_ids) > self.n_names // 4:
            acc = np.bincount(all_ids, weights=all_vals, minlength=self.n_names)
            hit = np.flatnonzero(acc)
            return hit.astype(np.int32), acc[hit]
        uniq, inv = np.unique(all_ids, return_inverse=True)
        sums = np.bincount(inv, weights=all_vals)
        return uniq.astype(np.int32), sums


def nickname_pairs_for(text: str) -> list[tuple[str, str]]:
    return _nick_index().get(text, [])


_NICKS: dict[str, list[tuple[str, str]]] | None = None


def _nick_index() -> dict[str, list[tuple[str, str]]]:
    global _NICKS
    if _NICKS is None:
        idx: dict[str, list[tuple[str, str]]] = {}
        for a, b in nickname_pairs():
            idx.setdefault(a, []).append((a, b))
        _NICKS = idx
    return _NICKS


_ARRAYS = (
    "name_head",
    "vocab_script",
    "vocab_legal",
    "vocab_weight",
    "post_ptr",
    "post_name",
    "name_ptr",
    "name_tok",
    "name_entity",
    "name_kind",
    "del_hash",
    "del_vid",
    "skel_del_hash",
    "skel_del_vid",
    "phon_del_hash",
    "phon_del_vid",
    "acro_hash",
    "acro_name",
    "acro_span",
    "entity_schema",
    "entity_dataset",
)


def _sorted_pairs(hashes: list[int], vids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    h = np.array(hashes, dtype=np.uint32)
    v = np.array(vids, dtype=np.int32)
    order = np.argsort(h, kind="stable")
    return h[order], v[order]


__all__ = ["INDEX_VERSION", "CompiledIndex", "EntityInfo", "head_mask", "token_weight"]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Turn off the cyclic garbage collector while an index's Python objects are made: they
    hold no cycles, and in a process with a large heap (a monitoring pass beside a book of
    parties, an API worker) each collection it would trigger walks the whole heap (loading a
    100,000-party index took 1.0 s instead of 0.1 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
