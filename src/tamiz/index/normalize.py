"""Name normalisation: from a published or typed name to comparable tokens.

Every name, on the list side and on the query side, goes through :func:`tokenize`:

1. Unicode clean-up: NFKC, control and format characters become spaces, case is folded.
2. Script handling, per whitespace-separated chunk:
   - Latin, Cyrillic, Greek, Thai, Devanagari, ...: ``anyascii`` transliteration;
   - Arabic / Persian / Urdu and Hebrew (abjads, short vowels unwritten): a romanisation for
     display plus a consonant *skeleton* computed from the letters themselves, so that
     ``القذافي`` meets ``Qaddafi``, ``Gaddafi`` and ``Kadhafi`` on the key ``kdf``;
   - Chinese: ``pypinyin``; the surname syllable stays a token, the given-name syllables are
     joined (``习近平`` -> ``xi jinping``), as Latin lists write them;
   - Korean: syllables romanised separately (``김정은`` -> ``kim jeong eun``), matching the
     lists' ``KIM Jong Un`` through skeleton keys and the surname variant table.
3. Tokenisation: punctuation splits tokens, apostrophes vanish (``QA'IDA`` -> ``qaida``),
   dotted abbreviations join (``S.A.`` -> ``sa``), digits stay tokens of their own.
4. Particles and honorifics (``al``, ``de``, ``the``, ``Dr``, ``Sheikh``) are dropped; legal
   forms and common organisation words are mapped to one spelling (``Limited`` -> ``ltd``,
   ``INTL`` -> ``international``, ``ООО`` -> ``ooo``) and flagged, so they weigh little.

The result is a tuple of :class:`Token` (matching text, skeleton key, script class, flags).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from anyascii import anyascii

MAX_NAME_CHARS = 1000

# Script classes of a token's origin. Tokens from abjads and from Korean/Chinese are matched
# more leniently on the skeleton key: their romanisations vary far more than Latin spellings.
LATIN = "latin"
TRANSLIT = "translit"  # Cyrillic, Greek, Thai, Devanagari, kana...: anyascii output
ABJAD = "abjad"  # Arabic script, Hebrew
HAN = "han"
HANGUL = "hangul"
# Syllabic scripts spelling foreign names (kana, Hangul loanwords): vowels are epenthetic
# (seligman -> serigumann) and r/l are one sound, so their skeletons are compared leniently.
SYLLABIC = "syllabic"


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # lowercase ASCII matching form
    skel: str  # vowel-tolerant consonant key (see skeleton())
    script: str = LATIN
    legal: bool = False  # legal form or generic organisation word: low weight
    # First letter of the word as written when the token starts otherwise (a concept token
    # of the organisation-word dictionary: SARAYA -> brigade); used for acronyms.
    initial: str = ""

    @property
    def first(self) -> str:
        return self.initial or self.text[:1]

    @property
    def is_number(self) -> bool:
        return self.text.isdigit()

    @property
    def is_initial(self) -> bool:
        return len(self.text) == 1 and self.text.isalpha()


# -- word lists ---------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Dropped wherever they occur as separate tokens: articles, prepositions, Arabic article
# forms. "bin"/"ibn" are dropped too: they join a patronymic and carry no identity.
PARTICLES = _words(
    """
    al el ul the of and for de del della der den da dos das du des la los las y et und
    van von vom bin ibn bint binti
    """
)
# Arabic article assimilated to a "sun letter": ad-Din, ar-Rahman, as-Sayyid, ash-Shami.
SUN_ARTICLES = _words("ad ar as ash at ath az adh an")

HONORIFICS = _words(
    """
    mr mrs ms miss mister madam dr doctor prof professor sir dame hon honorable
    sheikh shaikh shaykh sheik cheikh haji hajji hadji alhaj alhaji mullah mulla maulvi
    maulana mawlana mawlawi moulavi qari hafiz imam ayatollah hojatoleslam general gen
    colonel col lieutenant lt major maj captain capt admiral adm brigadier commander cmdr
    sergeant sgt excellency mme mlle sr sra srta jr junior
    """
)

# Articles and prepositions of organisation names in other languages (LE GROUPE SALAFISTE
# POUR LA PREDICATION ET LE COMBAT); dropped from organisation names only ("Le" is a
# Vietnamese surname).
ORG_PARTICLES = _words("pour para per fur fuer voor ve va wa le les il het die")


@dataclass(frozen=True, slots=True)
class OrgWords:
    """The organisation-word dictionary (``tamiz/data/names/org_words.txt``)."""

    words: dict[str, tuple[str, bool]]  # token text -> (concept, legal)
    phrases: dict[tuple[str, ...], tuple[str, bool]]  # token texts -> (concept, legal)
    longest: int  # most words in a phrase


@functools.cache
def org_words() -> OrgWords:
    from tamiz.index.names import org_word_lines

    words: dict[str, tuple[str, bool]] = {}
    phrases: dict[tuple[str, ...], tuple[str, bool]] = {}
    for concept, cls, spellings in org_word_lines():
        legal = cls in ("legal", "generic")
        words.setdefault(concept, (concept, legal))
        for spelling in spellings:
            texts = tuple(t.text for t in tokenize(spelling, organisation=False))
            if len(texts) == 1:
                words.setdefault(texts[0], (concept, legal))
            elif texts:
                phrases.setdefault(texts, (concept, legal))
    # Phrases are also recognised with their words already mapped (ltd liability co).
    for texts, value in list(phrases.items()):
        mapped = tuple(words.get(t, (t, False))[0] for t in texts)
        phrases.setdefault(mapped, value)
    longest = max((len(k) for k in phrases), default=1)
    return OrgWords(words, phrases, longest)


def _legal_forms() -> frozenset[str]:
    from tamiz.index.names import org_word_lines

    return frozenset(c for c, cls, _ in org_word_lines() if cls in ("legal", "generic"))


# Concept tokens of legal forms and very generic words (ltd, llc, co, group, trading...).
LEGAL_FORMS = _legal_forms()


# -- character classes --------------------------------------------------------------------

_DOTTED_ABBREV = re.compile(r"(?<![^\W\d_])((?:[^\W\d_]\.){2,})")
_APOSTROPHES = re.compile(r"[\u0027\u2018\u2019\u02bc\u02bb\u02be\u02bf\u0060\u00b4\u2032]")
_SPLIT = re.compile(r"[^0-9a-z]+")
_EZAFE = re.compile(r"(?<=\w)-(?:e|i|ye|yi)(?=-|\s|$)")
_DIGIT_ALPHA = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")


def _script_of(ch: str) -> str:
    o = ord(ch)
    if 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or 0xFB50 <= o <= 0xFEFF:
        return "arabic"
    if 0x0590 <= o <= 0x05FF:
        return "hebrew"
    if 0xAC00 <= o <= 0xD7A3:
        return "hangul"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF:
        return "han"
    if 0x3040 <= o <= 0x30FF:
        return "kana"
    if o < 0x250 or 0x1E00 <= o <= 0x1EFF:
        return "latin"
    return "other"


def clean_text(text: str) -> str:
    """NFKC, control/format characters to spaces, whitespace collapsed."""
    if text.isascii() and text.isprintable():  # most names: nothing to normalise
        return " ".join(text.split())
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(" ")
        else:
            out.append(ch)
    return " ".join("".join(out).split())


# -- skeleton keys ------------------------------------------------------------------------

_LATIN_DIGRAPHS = (
    ("sch", "C"),
    ("tch", "C"),
    ("dzh", "J"),
    ("sh", "C"),
    ("ch", "C"),
    ("kh", "X"),
    ("gh", "k"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("zh", "J"),
    ("dj", "J"),
    ("ck", "k"),
    ("qu", "k"),
    ("x", "ks"),
)
_LATIN_CLASS = str.maketrans({"c": "k", "q": "k", "g": "k", "v": "w", "p": "b", "j": "J", "z": "z"})
_VOWELS = frozenset("aeiou")


@functools.lru_cache(maxsize=1 << 16)
def skeleton(token: str) -> str:
    """Vowel-tolerant consonant key of a lowercase ASCII token.

    Vowels vanish (an initial vowel leaves ``a``), consonants fall into broad classes
    (k/q/g/c, b/p, v/w, ``J`` for j/dj/zh, ``C`` for sh/ch/sch, ``X`` for kh), medial ``y``/``w``
    and a final ``h`` after a vowel vanish, and doubled letters collapse. ``Mohammed``,
    ``Muhammad`` and ``Mohamad`` all give ``mhmd``; ``Yusuf``, ``Jusuf`` and ``Youssef``
    give ``ysf``.
    """
    if not token or token.isdigit():
        return token
    t = token
    if len(t) > 2 and t.endswith("h") and t[-2] in _VOWELS:
        t = t[:-1]
    head = "a" if t[0] in _VOWELS else ""
    for a, b in _LATIN_DIGRAPHS:
        if a in t:
            t = t.replace(a, b)
    # "c" before e/i is soft; everywhere else it is a k (digraphs are already gone).
    t = re.sub(r"c(?=[ei])", "s", t) if "c" in t else t
    t = t.translate(_LATIN_CLASS)
    out = [head] if head else []
    for i, ch in enumerate(t):
        if ch in _VOWELS or ch == "'":
            continue
        if ch in "yw" and i > 0:
            continue
        if ch == "h" and i > 0 and t[i - 1] in _VOWELS and (i + 1 == len(t)):
            continue
        if out and out[-1] == ch:
            continue
        out.append(ch)
    return "".join(out) or token[:1]


def syllabic_skeleton(token: str) -> str:
    """Skeleton with the sounds kana and Hangul do not distinguish merged: r/l, v/b/f/p
    (Hangul writes f with its p, kana v with its b), j/y, d/t."""
    for a, b in (("r", "l"), ("v", "b"), ("f", "b"), ("j", "y")):
        token = token.replace(a, b)
    return skeleton(token).replace("d", "t")


# Arabic-script letters -> skeleton classes (same alphabet as skeleton()). Letters standing
# for vowels (alef, waw, ya) and the glottal letters count only word-initially.
_ARABIC_SKEL = {
    "ب": "b",
    "پ": "b",
    "ت": "t",
    "ث": "t",
    "ج": "J",
    "چ": "C",
    "ح": "h",
    "خ": "X",
    "د": "d",
    "ذ": "d",
    "ر": "r",
    "ز": "z",
    "ژ": "J",
    "س": "s",
    "ش": "C",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "غ": "k",
    "ف": "f",
    "ق": "k",
    "ك": "k",
    "ک": "k",
    "گ": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "ة": "",
    "ھ": "h",
    "ۀ": "",
    "ڤ": "w",
    "ٹ": "t",
    "ڈ": "d",
    "ڑ": "r",
    "ں": "n",
}
_ARABIC_VOWELISH = frozenset("اأإآءؤئعٱ")
_ARABIC_W = frozenset("و")
_ARABIC_Y = frozenset("يىیےۍې")
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640\u06d6-\u06ed]")  # harakat, tatweel

_HEBREW_SKEL = {
    "ב": "b",
    "ג": "k",
    "ד": "d",
    "ה": "h",
    "ז": "z",
    "ח": "X",
    "ט": "t",
    "כ": "k",
    "ך": "k",
    "ל": "l",
    "מ": "m",
    "ם": "m",
    "נ": "n",
    "ן": "n",
    "ס": "s",
    "פ": "b",
    "ף": "f",
    "צ": "s",
    "ץ": "s",
    "ק": "k",
    "ר": "r",
    "ש": "C",
    "ת": "t",
    "\u05f0": "J",  # stand-ins for ג' / ז' and צ' / ץ' (see _HEBREW_GERESH_SKEL)
    "\u05f1": "C",
}
_HEBREW_VOWELISH = frozenset("אע")
_GERESH = "\u05f3"
_HEBREW_GERESH = re.compile("(?<=[\u05d2\u05d6\u05e6\u05e5\u05ea\u05d3])['\u2019\u05f3]")
# Letter + geresh -> a stand-in the skeleton table maps to the sound: j, zh, ch, th, dh.
_HEBREW_GERESH_SKEL = {
    "\u05d2" + _GERESH: "\u05f0",  # ג' j
    "\u05d6" + _GERESH: "\u05f0",  # ז' zh
    "\u05e6" + _GERESH: "\u05f1",  # צ' ch
    "\u05e5" + _GERESH: "\u05f1",  # ץ' ch
    "\u05ea" + _GERESH: "\u05ea",  # ת' th
    "\u05d3" + _GERESH: "\u05d3",  # ד' dh
}
_HEBREW_GERESH_LETTERS = re.compile("|".join(_HEBREW_GERESH_SKEL))
_HEBREW_MARKS = re.compile("[\u0591-\u05c7]")


def _abjad_skeleton(word: str, table: dict[str, str], vowelish: frozenset, w: str, y: str) -> str:
    out: list[str] = []
    n = len(word)
    for i, ch in enumerate(word):
        if ch in vowelish:
            if i == 0:
                out.append("a")
            continue
        if ch in w:
            if i == 0:
                out.append("w")
            continue
        if ch in y:
            if i == 0:
                out.append("y")
            continue
        c = table.get(ch)
        if c is None:
            continue
        if c == "h" and i == n - 1 and i > 0:
            continue  # final ha is usually a vowel ending (-a, -ah)
        if c and (not out or out[-1] != c):
            out.append(c)
    return "".join(out)


def _arabic_words(chunk: str) -> list[str]:
    chunk = _ARABIC_MARKS.sub("", chunk)
    words = [w for w in re.split(r"[^\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff]+", chunk) if w]
    out: list[str] = []
    for word in words:
        # Compound names written solid: عبدالرحمن -> عبد + الرحمن
        for prefix in ("عبد", "ابو", "أبو"):
            if word.startswith(prefix + "ال") and len(word) > len(prefix) + 3:
                out.append(prefix)
                word = word[len(prefix) :]
                break
        if word.startswith("ال") and len(word) > 3:
            word = word[2:]
        elif word.startswith(("وال", "بال")) and len(word) > 4:
            word = word[3:]
        if word in ("ال", "بن", "ابن", "بنت", "ولد"):
            continue
        out.append(word)
    return out


def _abjad_tokens(chunk: str, script: str) -> list[Token]:
    tokens: list[Token] = []
    if script == "arabic":
        for word in _arabic_words(chunk):
            # ta + shin is how Arabic writes a foreign ch (Maksimovich, Krachkovsky).
            spelled = word.replace("تش", "ش") if len(word) > 3 else word
            skel = _abjad_skeleton(spelled, _ARABIC_SKEL, _ARABIC_VOWELISH, _ARABIC_W, _ARABIC_Y)
            text = _SPLIT.sub("", anyascii(word).lower()) or skel
            if skel:
                tokens.append(Token(text, skel, ABJAD))
    else:
        chunk = _HEBREW_MARKS.sub("", chunk)
        # A geresh after gimel, zayin, tsadi, tav or dalet makes another sound (ג'ורג' George,
        # ביץ' -vich): part of the word, not a break between two.
        chunk = _HEBREW_GERESH.sub(_GERESH, chunk)
        for word in re.split(r"[^\u05d0-\u05ea\u05f3]+", chunk):
            if not word.strip(_GERESH):
                continue
            skel = _abjad_skeleton(
                _HEBREW_GERESH_LETTERS.sub(lambda m: _HEBREW_GERESH_SKEL[m.group()], word),
                _HEBREW_SKEL,
                _HEBREW_VOWELISH,
                "ו",
                "י",
            )
            text = _SPLIT.sub("", anyascii(word).lower()) or skel
            if skel:
                tokens.append(Token(text, skel, ABJAD))
    return tokens


# Chinese compound surnames (two characters).
_HAN_COMPOUND_SURNAMES = _words(
    "欧阳 司马 诸葛 上官 东方 夏侯 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 歐陽 司馬 諸葛 東方 長孫"
)


# Characters Chinese uses to transcribe foreign sounds and hardly ever in a Chinese given
# name (斯 s, 尔 r/l, 特 t, 夫 f/v, 姆 m, 茨 ts; not 克 德 丽 娜, common in given names): a
# name with one after its first character is a transcribed foreign name, not surname + given.
_HAN_TRANSCRIPTION = frozenset("斯尔爾特夫姆茨兹茲娅婭诺諾奥奧卡塔瓦蒂洛莱萊科拉普布格顿頓罗羅尼")
# Pinyin letters as the Latin sounds they transcribe (zh first; the c of ch stays).
_PINYIN_SOUNDS = (
    (re.compile("zh"), "j"),
    (re.compile("x"), "s"),
    (re.compile("q"), "ch"),
    (re.compile("c(?!h)"), "ts"),
)


_NAME_DOTS = re.compile("[\u00b7\u30fb\u2027\u2022\u22c5\uff65]")


def _pinyin_as_latin(word: str) -> str:
    for pattern, sound in _PINYIN_SOUNDS:
        word = pattern.sub(sound, word)
    return word


@functools.lru_cache(maxsize=4096)
def _han_tokens(chunk: str, alone: bool = True) -> tuple[Token, ...]:
    from pypinyin import lazy_pinyin

    han = "".join(ch for ch in chunk if _script_of(ch) == "han")
    if not han:
        return ()
    syllables = [s.lower() for s in lazy_pinyin(han)]
    syllables = [_SPLIT.sub("", s) for s in syllables]
    if len(han) >= 2 and any(ch in _HAN_TRANSCRIPTION for ch in han[1:]):
        # A foreign name transcribed (米科拉 Mykola, 鲍威尔 Powell): one word, compared by its
        # sounds, with pinyin letters read as the Latin sounds they stand for.
        word = _pinyin_as_latin("".join(syllables))
        return (Token(word, syllabic_skeleton(word), SYLLABIC),)
    if len(han) <= 1:
        parts = syllables
    elif not alone and len(han) <= 3:
        # One part of a name written in several words: a given name or a surname.
        parts = ["".join(syllables)]
    elif len(han) >= 4 and han[:2] in _HAN_COMPOUND_SURNAMES:
        parts = ["".join(syllables[:2]), "".join(syllables[2:])]
    elif len(han) <= 3:
        parts = [syllables[0], "".join(syllables[1:])]
    else:
        # Longer runs are transliterated foreign names: one word, compared leniently.
        word = _pinyin_as_latin("".join(syllables))
        return (Token(word, syllabic_skeleton(word), SYLLABIC),)
    return tuple(Token(p, skeleton(p), HAN) for p in parts if p)


def _hangul_tokens(chunk: str, alone: bool = True) -> list[Token]:
    syllables = [_SPLIT.sub("", anyascii(ch).lower()) for ch in chunk if _script_of(ch) == "hangul"]
    syllables = [s for s in syllables if s]
    foreign = len(syllables) >= 4 or (
        syllables[:1] and syllables[0] not in KOREAN_SURNAMES and (len(syllables) == 3 or alone)
    )
    if foreign and len(syllables) >= 2:
        # Not a Korean name (surname + one or two syllables): a foreign name in Hangul.
        word = "".join(syllables)
        return [Token(word, syllabic_skeleton(word), SYLLABIC)]
    out = []
    for i, syl in enumerate(syllables):
        # A lone syllable is a surname (Korean names are often written "given surname"
        # in Western order); so is the first of a run of three.
        if (i == 0 and len(syllables) != 2) or len(syllables) == 1:
            syl = KOREAN_SURNAMES.get(syl, syl)
        out.append(Token(syl, skeleton(syl), HANGUL))
    return out


# Revised-Romanisation surname syllables -> the spelling sanctions lists mostly use.
KOREAN_SURNAMES = {
    "gim": "kim",
    "i": "ri",
    "bak": "pak",
    "choe": "choe",
    "jeong": "jong",
    "gang": "kang",
    "jo": "cho",
    "yun": "yun",
    "jang": "jang",
    "im": "rim",
    "han": "han",
    "o": "o",
    "seo": "so",
    "sin": "sin",
    "gwon": "kwon",
    "hwang": "hwang",
    "an": "an",
    "song": "song",
    "ryu": "ryu",
    "yu": "yu",
    "hong": "hong",
    "jeon": "jon",
    "go": "ko",
    "mun": "mun",
    "son": "son",
    "yang": "yang",
    "bae": "pae",
    "baek": "paek",
    "heo": "ho",
    "nam": "nam",
    "sim": "sim",
    "no": "ro",
    "ha": "ha",
    "gwak": "kwak",
    "seong": "song",
    "cha": "cha",
    "ju": "ju",
    "u": "u",
    "gu": "ku",
    "min": "min",
    "jin": "jin",
    "na": "na",
    "ji": "ji",
    "eom": "om",
    "chae": "chae",
    "won": "won",
    "cheon": "chon",
    "bang": "pang",
    "gong": "kong",
    "hyeon": "hyon",
    "ham": "ham",
    "byeon": "pyon",
    "yeom": "yom",
    "yeo": "yo",
    "chu": "chu",
    "do": "to",
    "so": "so",
    "seok": "sok",
    "seon": "son",
    "ma": "ma",
    "gil": "kil",
    "yeon": "yon",
    "wi": "wi",
    "pyo": "pyo",
    "myeong": "myong",
    "gi": "ki",
    "ban": "pan",
    "ra": "ra",
    "wang": "wang",
    "geum": "kum",
    "ok": "ok",
    "yuk": "yuk",
    "in": "in",
    "maeng": "maeng",
    "je": "je",
    "mo": "mo",
    "tak": "thak",
    "guk": "kuk",
    "eo": "o",
    "ryeo": "ryo",
}


# -- tokenisation -------------------------------------------------------------------------


def _latin_words(chunk: str) -> list[str]:
    if "ç" in chunk:
        chunk = chunk.replace("ç", "s")  # Faycal/Faysal: a cedilla c sounds s
    chunk = _DOTTED_ABBREV.sub(lambda m: m.group(1).replace(".", ""), chunk)
    if "-" in chunk:
        chunk = _EZAFE.sub(" ", chunk)  # Persian/Urdu ezafe: Basij-e Melli, Harakat-i-Islami
    chunk = _APOSTROPHES.sub("", chunk)
    text = anyascii(chunk).lower()
    text = text.replace("'", "")
    text = _DIGIT_ALPHA.sub(" ", text) if any(c.isdigit() for c in text) else text
    return [w for w in _SPLIT.split(text) if w]


def _chunks(text: str) -> list[tuple[str, str]]:
    """Split text into runs of one script class (whitespace and punctuation kept in runs)."""
    if text.isascii():
        return [("latin", text)] if text else []
    runs: list[tuple[str, str]] = []
    has_kana = any(0x3040 <= ord(c) <= 0x30FF for c in text)
    cur_script = None
    cur: list[str] = []
    for ch in text:
        if ch.isspace() or not (ch.isalnum() or unicodedata.category(ch).startswith("M")):
            sc = cur_script
            if ch.isspace() and cur_script in ("han", "hangul", "kana"):
                # Each whitespace-separated CJK word is its own name part.
                if cur:
                    runs.append((cur_script, "".join(cur)))
                cur, cur_script = [], None
                continue
        else:
            sc = _script_of(ch)
            if sc == "han" and has_kana:
                sc = "kana"  # Japanese: kanji readings are unknown, anyascii is the fallback
        if sc != cur_script and cur:
            runs.append((cur_script or "latin", "".join(cur)))
            cur = []
        cur_script = sc
        cur.append(ch)
    if cur:
        runs.append((cur_script or "latin", "".join(cur)))
    return runs


# Tokens are immutable: a name met again (a list entry compared with many queries, the same
# customer name in many payments) is not analysed again.
@functools.lru_cache(maxsize=1 << 15)
def tokenize(text: str, *, organisation: bool | None = None) -> tuple[Token, ...]:
    """Tokens of one name. ``organisation`` False skips legal-form mapping (persons)."""
    text = clean_text(text).casefold()
    tokens: list[Token] = []
    chunks = _chunks(text)
    # Chinese and Korean names written in one word split into surname + given name; a
    # name written in several words already separates its parts.
    alone = sum(1 for _, c in chunks if any(ch.isalnum() for ch in c)) <= 1
    for script, chunk in chunks:
        if script in ("arabic", "hebrew"):
            tokens.extend(_abjad_tokens(chunk, script))
        elif script == "han":
            # Transcribed foreign names separate their parts with a middle dot (尼古拉斯·马杜罗).
            parts = [p for p in _NAME_DOTS.split(chunk) if p]
            for part in parts:
                tokens.extend(_han_tokens(part, alone and len(parts) == 1))
        elif script == "hangul":
            tokens.extend(_hangul_tokens(chunk, alone))
        elif script == "kana":
            for word in _latin_words(chunk):
                tokens.append(Token(word, syllabic_skeleton(word), SYLLABIC))
        else:
            kind = LATIN if script == "latin" else TRANSLIT
            for word in _latin_words(chunk):
                tokens.append(Token(word, skeleton(word), kind))
    return _postprocess(tokens, organisation)


def _postprocess(tokens: list[Token], organisation: bool | None) -> tuple[Token, ...]:
    out: list[Token] = []
    n = len(tokens)
    for i, tok in enumerate(tokens):
        t = tok.text
        if tok.script in (LATIN, TRANSLIT):
            if t in PARTICLES:
                continue
            # Titles go from persons' names; in an organisation's name they are part of it
            # (GENERAL ELECTRIC, JUNIOR INTERNATIONAL S.A., IMAM KHOMEINI RELIEF FOUNDATION).
            if t in HONORIFICS and not organisation:
                continue
            if organisation and t in ORG_PARTICLES:
                continue
            if t in SUN_ARTICLES and i + 1 < n and tokens[i + 1].text.startswith(t[1:]):
                continue
            if t.startswith("abd") and t not in ("abd",):
                head, rest = _split_abd(t)
                if head:
                    out.append(Token("abd", "abd", tok.script))
                    if rest:
                        out.append(Token(rest, skeleton(rest), tok.script))
                    continue
        out.append(tok)
    if not out:
        # A name made only of particles/honorifics ("The Base", "Al") keeps its words.
        out = [t for t in tokens if t.text]
    if organisation is not False:
        out = _map_org_words(out)
    return tuple(_join_letter_runs(out))


def _map_org_words(tokens: list[Token]) -> list[Token]:
    """Legal forms and organisation words -> their concept token (phrases first, as
    written or with their words mapped: limited liability company -> llc)."""
    table = org_words()
    words, phrases = table.words, table.phrases
    texts = [t.text for t in tokens]
    out: list[Token] = []
    i, n = 0, len(tokens)
    while i < n:
        for k in range(min(table.longest, n - i), 1, -1):
            raw = tuple(texts[i : i + k])
            hit = phrases.get(raw) or phrases.get(tuple(words.get(t, (t,))[0] for t in raw))
            if hit:
                out.append(_concept(hit, tokens[i]))
                i += k
                break
        else:
            hit = words.get(texts[i]) or _fuzzy_org_word(texts[i])
            out.append(_concept(hit, tokens[i]) if hit else tokens[i])
            i += 1
    return out


# Glued endings of organisation words: the Persian ezafe (Sherkat-e, Kala-ye) and the Arabic
# construct article (Harakat-ul, Katibat-ul).
_GLUED_ENDINGS = ("ye", "e", "ul", "ol", "al")


@functools.lru_cache(maxsize=8192)
def _fuzzy_org_word(text: str) -> tuple[str, bool] | None:
    """The concept of another spelling of a dictionary word (Khayria / Khayriya,
    Dvizheniye / Dvizhenie, Harakatul / Harakat), or None: a glued ending; a spelling of
    six letters or more with the vowel key of a dictionary spelling; or, from nine letters,
    a close transliteration variant. A letter off in a short word is not enough: too many
    names are one letter from a dictionary word (Sharia / Sharika, Patrol / Petrol)."""
    if len(text) < 6 or not text.isalpha():
        return None
    table = org_words()
    for ending in _GLUED_ENDINGS:
        if text.endswith(ending) and len(text) - len(ending) >= 4:
            hit = table.words.get(text[: -len(ending)])
            if hit:
                return hit
    from tamiz.index.names import prior_table
    from tamiz.index.similarity import token_similarity, vowel_norm

    if prior_table().get(text, 99.0) < 15.0:
        return None  # a known personal name (Marin), not a misspelt word
    norm = vowel_norm(text)
    by_skel, by_norm = _org_keys()
    for spelling in by_norm.get(norm, ()):
        if vowel_norm(spelling)[:1] == norm[:1]:
            return table.words[spelling]
    if len(text) >= 9:
        # Long words: a typo or transliteration variant (Dvizheniye / Dvizhenie).
        token = Token(text, skeleton(text))
        for spelling in by_skel.get(token.skel, ()):
            if spelling[0] != text[0]:
                continue
            if token_similarity(token, Token(spelling, skeleton(spelling)))[0] >= 0.9:
                return table.words[spelling]
    return None


@functools.cache
def _org_keys() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Dictionary spellings (five letters or more) by skeleton and by vowel key."""
    from tamiz.index.similarity import vowel_norm

    by_skel: dict[str, list[str]] = {}
    by_norm: dict[str, list[str]] = {}
    for spelling in org_words().words:
        if len(spelling) >= 5 and spelling.isalpha():
            by_skel.setdefault(skeleton(spelling), []).append(spelling)
            by_norm.setdefault(vowel_norm(spelling), []).append(spelling)
    return by_skel, by_norm


def _concept(hit: tuple[str, bool], original: Token) -> Token:
    concept, legal = hit
    script = original.script if original.script in (LATIN, TRANSLIT) else LATIN
    first = original.first if original.script in (LATIN, TRANSLIT) else ""
    return Token(concept, skeleton(concept), script, legal, first if first != concept[:1] else "")


def _join_letter_runs(tokens: list[Token]) -> list[Token]:
    """Three or more single letters in a row are an acronym (M D S -> mds), not initials."""
    out: list[Token] = []
    run: list[Token] = []
    for tok in [*tokens, None]:
        if tok is not None and tok.is_initial and tok.script in (LATIN, TRANSLIT):
            run.append(tok)
            continue
        if len(run) >= 3:
            text = "".join(t.text for t in run)
            out.append(Token(text, skeleton(text), run[0].script))
        else:
            out.extend(run)
        run = []
        if tok is not None:
            out.append(tok)
    return out


_ABD_FORMS = (
    "abdul",
    "abdel",
    "abdal",
    "abdol",
    "abdur",
    "abdus",
    "abdar",
    "abdas",
    "abdoul",
    "abdu",
)


def _split_abd(t: str) -> tuple[str, str]:
    """``abdulrahman`` -> (abd, rahman); ``abdel`` -> (abd, ""); ``abdi`` -> ("", "")."""
    for form in _ABD_FORMS:
        if t == form:
            return "abd", ""
        if t.startswith(form) and len(t) - len(form) >= 3:
            rest = t[len(form) :]
            if form[-1] in "rs" and form[-2] in "aeiou" and rest[0] in "aeiou":
                rest = form[-1] + rest  # assimilated article written once: Abdurabba
            return "abd", "lah" if rest in _ALLAH else rest
    if len(t) >= 6 and t[3:5] in ("al", "ul", "el") and t[5:6] not in "aeiou":
        return "abd", "lah" if t[5:] in _ALLAH else t[5:]
    if t[3:] in _ALLAH:  # abdalla, abdallah
        return "abd", "lah"
    if len(t) >= 7 and t[3] not in "aeiouy" and t[4:5] in tuple("aeiou"):
        return "abd", t[3:]  # no vowel after Abd: Abdrabba, Abdrakhman
    return "", ""


# Spellings of "Allah" after Abd (Abdullah, Abdalla, Abdullahi).
_ALLAH = frozenset(("la", "lah", "lla", "llah", "alla", "allah", "ulla", "ullah", "lahi", "llahi"))


ACRONYM_MIN = 3  # letters (two-letter acronyms are too ambiguous to match on)
ACRONYM_MAX = 8  # words


def acronym_spans(tokens: Sequence[Token]) -> list[tuple[int, int, str]]:
    """(start, end, initials) of every run of three to eight words of an organisation name,
    the initials of the words as written: ISLAMIC REVOLUTIONARY GUARD CORPS -> irgc,
    BANCO NACIONAL DE CUBA -> bnc (particles are not words of the run)."""
    out = []
    n = min(len(tokens), 16)
    for s in range(n):
        letters = ""
        for e in range(s, min(n, s + ACRONYM_MAX)):
            t = tokens[e]
            if t.is_number or not t.text[:1].isalpha() or t.script not in (LATIN, TRANSLIT):
                break
            letters += t.first
            if e - s + 1 >= ACRONYM_MIN:
                out.append((s, e + 1, letters))
    return out


def token_texts(text: str) -> list[str]:
    return [t.text for t in tokenize(text)]
