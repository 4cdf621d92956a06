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

# Organisation words and legal forms -> one spelling. Values are flagged "legal" (low weight).
_LEGAL_SPELLINGS = {
    "limited": "ltd",
    "ltd": "ltd",
    "company": "co",
    "comp": "co",
    "co": "co",
    "compania": "co",
    "cia": "co",
    "companhia": "co",
    "compagnie": "co",
    "kompaniya": "co",
    "corporation": "corp",
    "corp": "corp",
    "incorporated": "inc",
    "inc": "inc",
    "llc": "llc",
    "llp": "llp",
    "lp": "lp",
    "plc": "plc",
    "gmbh": "gmbh",
    "ag": "ag",
    "kg": "kg",
    "sa": "sa",
    "ca": "ca",
    "sas": "sas",
    "sarl": "sarl",
    "srl": "srl",
    "spa": "spa",
    "sl": "sl",
    "bv": "bv",
    "nv": "nv",
    "ab": "ab",
    "as": "as",
    "oy": "oy",
    "ooo": "llc",
    "oao": "ojsc",
    "zao": "cjsc",
    "pao": "pjsc",
    "ao": "ao",
    "tov": "llc",
    "pat": "pjsc",
    "jsc": "jsc",
    "ojsc": "ojsc",
    "cjsc": "cjsc",
    "pjsc": "pjsc",
    "fze": "fze",
    "fzco": "fzco",
    "fzc": "fzc",
    "fzllc": "fzllc",
    "dmcc": "dmcc",
    "pte": "pte",
    "pvt": "pvt",
    "private": "pvt",
    "sdn": "sdn",
    "bhd": "bhd",
    "berhad": "bhd",
    "pty": "pty",
    "proprietary": "pty",
    "cv": "cv",
    "rl": "rl",
    "eirl": "eirl",
    "sac": "sac",
    "saa": "saa",
    "ltda": "ltda",
    "limitada": "ltda",
    "kft": "kft",
    "doo": "doo",
    "sro": "sro",
    "as.": "as",
    "ou": "ou",
    "ek": "ek",
    "group": "group",
    "grp": "group",
    "grupo": "group",
    "holding": "holding",
    "holdings": "holding",
    "hldgs": "holding",
    "international": "international",
    "intl": "international",
    "internacional": "international",
    "international'": "international",
    "trading": "trading",
    "trdg": "trading",
    "enterprise": "enterprise",
    "enterprises": "enterprise",
    "ent": "enterprise",
    "industries": "industry",
    "industry": "industry",
    "industrial": "industry",
    "inds": "industry",
    "ind": "industry",
    "technology": "technology",
    "technologies": "technology",
    "tech": "technology",
    "services": "service",
    "service": "service",
    "svcs": "service",
    "svc": "service",
    "manufacturing": "manufacturing",
    "mfg": "manufacturing",
    "association": "association",
    "assn": "association",
    "national": "national",
    "natl": "national",
    "brothers": "brothers",
    "bros": "brothers",
    "management": "management",
    "mgmt": "management",
    "department": "department",
    "dept": "department",
    "investment": "investment",
    "investments": "investment",
    "organization": "organization",
    "organisation": "organization",
    "org": "organization",
    "establishment": "establishment",
    "est": "establishment",
    "general": "general",
    "genl": "general",
}
LEGAL_FORMS = frozenset(_LEGAL_SPELLINGS.values())


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
    """Skeleton with the sounds kana and Hangul do not distinguish merged: r/l, v/b, f/w
    (fu for v), j/y, d/t."""
    for a, b in (("r", "l"), ("v", "b"), ("f", "w"), ("j", "y")):
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
}
_HEBREW_VOWELISH = frozenset("אע")
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
            skel = _abjad_skeleton(word, _ARABIC_SKEL, _ARABIC_VOWELISH, _ARABIC_W, _ARABIC_Y)
            text = _SPLIT.sub("", anyascii(word).lower()) or skel
            if skel:
                tokens.append(Token(text, skel, ABJAD))
    else:
        chunk = _HEBREW_MARKS.sub("", chunk)
        for word in re.split(r"[^\u05d0-\u05ea]+", chunk):
            if not word:
                continue
            skel = _abjad_skeleton(word, _HEBREW_SKEL, _HEBREW_VOWELISH, "ו", "י")
            text = _SPLIT.sub("", anyascii(word).lower()) or skel
            if skel:
                tokens.append(Token(text, skel, ABJAD))
    return tokens


# Chinese compound surnames (two characters).
_HAN_COMPOUND_SURNAMES = _words(
    "欧阳 司马 诸葛 上官 东方 夏侯 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 歐陽 司馬 諸葛 東方 長孫"
)


@functools.lru_cache(maxsize=4096)
def _han_tokens(chunk: str, alone: bool = True) -> tuple[Token, ...]:
    from pypinyin import lazy_pinyin

    han = "".join(ch for ch in chunk if _script_of(ch) == "han")
    if not han:
        return ()
    syllables = [s.lower() for s in lazy_pinyin(han)]
    syllables = [_SPLIT.sub("", s) for s in syllables]
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
        word = "".join(syllables)
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
            tokens.extend(_han_tokens(chunk, alone))
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


# Multi-word legal forms -> their abbreviation (after single-word mapping).
_LEGAL_PHRASES = (
    (("open", "joint", "stock", "co"), "ojsc"),
    (("closed", "joint", "stock", "co"), "cjsc"),
    (("public", "joint", "stock", "co"), "pjsc"),
    (("joint", "stock", "co"), "jsc"),
    (("ltd", "liability", "co"), "llc"),
    (("ltd", "liability", "partnership"), "llp"),
    (("sociedad", "anonima"), "sa"),
    (("compania", "anonima"), "ca"),
    (("co", "anonima"), "ca"),
    (("obshchestvo", "s", "ogranichennoi", "otvetstvennostyu"), "llc"),
    (("obshchestvo", "s", "ogranichennoy", "otvetstvennostyu"), "llc"),
    (("tovarystvo", "z", "obmezhenoyu", "vidpovidalnistyu"), "llc"),
    (("zakrytoe", "aktsionernoe", "obshchestvo"), "cjsc"),
    (("otkrytoe", "aktsionernoe", "obshchestvo"), "ojsc"),
    (("publichnoe", "aktsionernoe", "obshchestvo"), "pjsc"),
    (("aktsionernoe", "obshchestvo"), "jsc"),
    (("sdn", "bhd"), "sdnbhd"),
    (("pte", "ltd"), "pteltd"),
    (("pvt", "ltd"), "pvtltd"),
    (("pty", "ltd"), "ptyltd"),
)


def _collapse_legal(tokens: list[Token]) -> list[Token]:
    texts = [t.text for t in tokens]
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        for phrase, abbrev in _LEGAL_PHRASES:
            n = len(phrase)
            if tuple(texts[i : i + n]) == phrase:
                out.append(Token(abbrev, skeleton(abbrev), tokens[i].script, legal=True))
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _postprocess(tokens: list[Token], organisation: bool | None) -> tuple[Token, ...]:
    out: list[Token] = []
    n = len(tokens)
    for i, tok in enumerate(tokens):
        t = tok.text
        if tok.script in (LATIN, TRANSLIT):
            if t in PARTICLES or t in HONORIFICS:
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
            if organisation is not False and t in _LEGAL_SPELLINGS:
                canon = _LEGAL_SPELLINGS[t]
                out.append(Token(canon, skeleton(canon), tok.script, legal=True))
                continue
        out.append(tok)
    if not out:
        # A name made only of particles/honorifics ("The Base", "Al") keeps its words.
        out = [t for t in tokens if t.text]
    if organisation is not False and len(out) > 1:
        out = _collapse_legal(out)
    return tuple(_join_letter_runs(out))


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
            return "abd", "lah" if rest in _ALLAH else rest
    if len(t) >= 6 and t[3:5] in ("al", "ul", "el") and t[5:6] not in "aeiou":
        return "abd", "lah" if t[5:] in _ALLAH else t[5:]
    if t[3:] in _ALLAH:  # abdalla, abdallah
        return "abd", "lah"
    return "", ""


# Spellings of "Allah" after Abd (Abdullah, Abdalla, Abdullahi).
_ALLAH = frozenset(("la", "lah", "lla", "llah", "alla", "allah", "ulla", "ullah", "lahi", "llahi"))


def token_texts(text: str) -> list[str]:
    return [t.text for t in tokenize(text)]
