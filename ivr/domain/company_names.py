"""Company names as callers say them: a key to store, a matcher for speech, hints for Twilio.

A name is compared in two forms. `company_key` is the stored key: case, accents, punctuation
and legal forms ("C.A.", "S.R.L.", "compañía anónima"…) removed, "&" read as "y"; it is
strict so a registered name is found again exactly. The matching form, used only here, goes
further for speech recognition: numbers said in words become digits ("tres m" = "3M"),
articles and "de"/"y" are dropped, common abbreviations are spelled out ("Hnos." =
"hermanos"), and each word is reduced to how it sounds in Venezuelan Spanish (b/v, s/z/c,
silent h, ll/y, plurals), so "Farmacia Ábila" still sounds like "Farmacia El Ávila".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process
from text_to_num import alpha2digit

# A fuzzy score (0-100) at or above which a caller's words name a company, if no other
# company comes within MARGIN of it.
MATCH_SCORE = 88.0
# Two companies closer than this are both guesses: an analyst decides.
MARGIN = 6.0
# Below this nothing is offered as a guess.
GUESS_SCORE = 70.0
# The most a name can score when the caller gave only its kind ("inversiones") or a
# different number ("Caracas 2001" for "Caracas 2000"): words like that can only be a guess.
GUESS_CAP = 80.0
# Up to this many companies every name is scored in full; past it, only those within reach.
_FULL_SCORING_UP_TO = 20
# How many guesses an unsure match carries.
MAX_GUESSES = 3
# A caller who names a company without its kind ("Santa Sofía" for "Clínica Santa Sofía") is
# a little less certain than one who says it all.
PARTIAL_PENALTY = 5.0

# Twilio's limits for <Gather hints>: 500 entries of at most 100 characters.
MAX_HINTS = 500
MAX_HINT_LENGTH = 100

# Legal forms, as words after folding, removed from the end of a name. Longest first.
_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(sorted(
    (tuple(form.split()) for form in (
        "c a", "ca", "s a", "sa", "s r l", "srl", "s a c a", "saca", "s a i c a", "saica",
        "s c", "f p", "fp", "compania anonima", "cia anonima", "sociedad anonima",
        "sociedad civil", "sociedad de responsabilidad limitada",
        "sociedad anonima de capital autorizado", "firma personal",
    )),
    key=len, reverse=True,
))
# Legal forms also removed from the start: "C.A. Electricidad de Caracas" is a Venezuelan
# habit; other forms come first too rarely to risk eating a name's first word.
_LEADING_LEGAL_FORMS: tuple[tuple[str, ...], ...] = (
    ("compania", "anonima"), ("c", "a"), ("ca",),
)
# The same, as speech recognition writes them when a caller spells them out.
_SPOKEN_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    tuple(form.split()) for form in (
        "ce a", "se a", "ese a", "ese erre ele", "ese a ce a", "efe pe", "y compania",
    )
)
_MATCH_LEGAL_FORMS = tuple(sorted(_LEGAL_FORMS + _SPOKEN_LEGAL_FORMS, key=len, reverse=True))

# Words that carry no identity: articles, "de", "y". Dropped when matching, never from the key.
_STOPWORDS = frozenset({"el", "la", "los", "las", "lo", "de", "del", "y", "e", "en", "al"})

# What callers say before or after the name ("sí, llamo de …", "… por favor").
_LEAD_INS = frozenset({
    "hola", "buenas", "buenos", "dias", "tardes", "noches", "si", "bueno", "eh", "este",
    "soy", "llamo", "llamando", "hablo", "hablamos", "desde", "parte", "es", "somos",
    "le", "les", "me", "nos",
    "mi", "nuestra", "empresa", "compania", "trabajo", "para",
} | _STOPWORDS)
_TAILS = frozenset({"gracias", "por", "favor"})

# Abbreviations found in registered names, spelled out as a caller would say them.
_ABBREVIATIONS = {
    "hnos": "hermanos", "hno": "hermano", "cia": "compania", "dist": "distribuidora",
    "distrib": "distribuidora", "inv": "inversiones", "invers": "inversiones",
    "corp": "corporacion", "ind": "industrias", "inds": "industrias", "sta": "santa",
    "sto": "santo", "dr": "doctor", "dra": "doctora", "gral": "general", "av": "avenida",
    "nac": "nacional", "serv": "servicios", "servs": "servicios", "transp": "transporte",
    "intl": "internacional", "vzla": "venezuela", "venez": "venezuela",
    "const": "constructora", "asoc": "asociacion", "coop": "cooperativa", "fcia": "farmacia",
    "farm": "farmacia", "clin": "clinica", "lab": "laboratorio", "labs": "laboratorios",
    "comerc": "comercializadora", "repres": "representaciones",
}

# The kind of business, which callers often leave out ("la Candelaria" for "Ferretería La
# Candelaria"). A name said without its kind is compared on the rest.
_KINDS = frozenset({
    "farmacia", "inversiones", "inversion", "distribuidora", "distribuciones", "clinica",
    "policlinica", "centro", "medico", "hospital", "ferreteria", "panaderia", "pasteleria",
    "charcuteria", "licoreria", "seguros", "seguro", "transporte", "transportes", "grupo",
    "corporacion", "comercial", "comercializadora", "servicios", "multiservicios",
    "constructora", "consultores", "consultora", "importadora", "exportadora", "industrias",
    "laboratorio", "laboratorios", "taller", "restaurant", "restaurante", "hotel",
    "supermercado", "automercado", "abasto", "bodega", "tienda", "agencia", "almacen",
    "representaciones", "suministros", "instituto", "colegio", "academia", "soluciones",
    "sistemas", "tecnologia", "compania", "empresa", "empresas", "cooperativa",
    "asociacion", "fundacion", "unidad", "venezuela",
})

# Letters as a caller spells them ("jota erre" for "J.R.", "tres eme" for "3M"). Read as
# letters only next to another letter or a digit; "de" is left out, it is nearly always "of".
_LETTER_NAMES = {
    "be": "b", "ce": "c", "efe": "f", "ge": "g", "hache": "h", "jota": "j", "ka": "k",
    "ele": "l", "eme": "m", "ene": "n", "pe": "p", "cu": "q", "erre": "r", "ere": "r",
    "ese": "s", "te": "t", "uve": "v", "ve": "v", "equis": "x", "zeta": "z",
}

# text2num reads these only with their accent.
_NUMBER_SPELLING = {"veintidos": "veintidós", "veintitres": "veintitrés"}

_THOUSANDS = re.compile(r"(?<=\d)[.,](?=\d{3}\b)")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")


@dataclass(frozen=True)
class Guess:
    """A company a caller may have named, with how close the words were (0-100)."""

    company_id: int
    name: str
    score: float


@dataclass(frozen=True)
class Match:
    """What a caller's words matched: one company, a few guesses for an analyst, or nothing."""

    status: Literal["matched", "unsure", "none"]
    company_id: int | None = None
    guesses: tuple[Guess, ...] = ()
    method: Literal["key", "fuzzy"] | None = None

    @property
    def matched(self) -> bool:
        """Whether one company was recognised."""
        return self.status == "matched"

    @property
    def unsure(self) -> bool:
        """Whether an analyst should pick among the guesses."""
        return self.status == "unsure"


NO_MATCH = Match("none")


def _fold(text: str) -> str:
    """Case-fold `text` and strip its accents (NFKD also maps "ª", fullwidth and ligatures)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    # Case folding can produce letters that decompose further ("İ" -> "i̇").
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    """The words of folded `text`: letters and digits, "&" read as "y"."""
    text = _fold(text).replace("&", " y ")
    return "".join(c if c.isalnum() else " " for c in text).split()


def _strip_legal(words: list[str], forms: tuple[tuple[str, ...], ...]) -> list[str]:
    """Remove legal forms from the end of `words` (and a leading "C.A."), always keeping at
    least one word."""
    changed = True
    while changed:
        changed = False
        for form in forms:
            n = len(form)
            if len(words) > n and tuple(words[-n:]) == form:
                words = words[:-n]
                changed = True
                break
        for form in _LEADING_LEGAL_FORMS:
            n = len(form)
            if len(words) > n and tuple(words[:n]) == form:
                words = words[n:]
                changed = True
                break
    return words


def company_key(name: str) -> str:
    """A company name reduced for exact matching and storage: no case, accents, punctuation or
    legal form; "&" as "y"."""
    return " ".join(_strip_legal(_words(name), _LEGAL_FORMS))


def _digits(words: list[str]) -> list[str]:
    """Numbers said in words as digits; "3M" split as "3 m" so both sides agree."""
    text = _DIGIT_LETTER.sub(" ", " ".join(_NUMBER_SPELLING.get(w, w) for w in words))
    # Ordinals come back as "3ª": folding makes that "3a", like a written "3A".
    words = _words(_DIGIT_LETTER.sub(" ", _fold(alpha2digit(text, "es", threshold=0))))
    return _join_thousands(words)


def _join_thousands(words: list[str]) -> list[str]:
    """Join "2 000" (from "2.000" or "dos cero cero cero") into "2000"."""
    out: list[str] = []
    grouping = False  # whether out[-1] can take another group of three digits
    for word in words:
        if grouping and len(word) == 3 and word.isdigit():
            out[-1] += word
        else:
            out.append(word)
            grouping = word.isdigit() and len(word) <= 3
    return out


def _join_letters(words: list[str]) -> list[str]:
    """Join runs of single letters or digits: "a b c" and "3 m" as "abc" and "3m"."""
    out: list[str] = []
    run = False
    for word in words:
        if len(word) == 1 and run:
            out[-1] += word
        else:
            out.append(word)
            run = len(word) == 1
    return out


def _spelled_letters(words: list[str]) -> list[str]:
    """Letter names as letters where they are spelled out: in a run of two or more letters,
    letter names or digits."""
    out = list(words)
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and (len(out[j]) == 1 or out[j] in _LETTER_NAMES):
            j += 1
        if j - i >= 2:
            out[i:j] = [_LETTER_NAMES.get(w, w) for w in out[i:j]]
        i = max(j, i + 1)
    return out


def _sound(word: str) -> str:
    """A word as it sounds in Venezuelan Spanish (seseo, yeísmo, b = v, silent h, plural -s)."""
    if not word.isalpha() or not word.isascii():
        return word
    w = word.replace("qu", "k")
    w = re.sub(r"c(?=[ei])", "s", w)
    w = re.sub(r"g(?=[ei])", "j", w)
    w = re.sub(r"gu(?=[ei])", "g", w)
    w = w.replace("ch", "\0").replace("c", "k").replace("\0", "ch")
    w = re.sub(r"(?<!c)h", "", w)
    w = w.replace("z", "s").replace("v", "b").replace("w", "u").replace("ll", "y")
    w = re.sub(r"(.)\1+", r"\1", w)
    if len(w) > 4 and w.endswith("s"):
        w = w[:-1]
    return w or word


_KIND_SOUNDS = frozenset(_sound(w) for w in _KINDS)


@dataclass(frozen=True)
class _Form:
    """A name as the matcher compares it: sounds of its words, and those without its kind."""

    words: tuple[str, ...]
    kinds: frozenset[str]
    core: tuple[str, ...]
    numbers: frozenset[str]


def _form_of(words: list[str]) -> _Form:
    """Build the matching form from words already spelled out and stripped."""
    kept = [w for w in words if w not in _STOPWORDS] or words
    sounds = tuple(_sound(w) for w in _join_letters(kept))
    kinds = frozenset(w for w in sounds if w in _KIND_SOUNDS)
    core = tuple(w for w in sounds if w not in _KIND_SOUNDS)
    numbers = frozenset(w for w in sounds if any(c.isdigit() for c in w))
    return _Form(sounds, kinds, core, numbers)


def _expand(words: list[str]) -> list[str]:
    """Spell out abbreviations, then numbers, and drop spoken legal forms."""
    words = [_ABBREVIATIONS.get(w, w) for w in words]
    return _spelled_letters(_strip_legal(_digits(words), _MATCH_LEGAL_FORMS))


@lru_cache(maxsize=4096)
def _name_key(name: str) -> str:
    """company_key of a registered name or alias, cached: the same names come on every call."""
    return company_key(name)


@lru_cache(maxsize=4096)
def _name_form(name: str) -> _Form:
    """The matching form of a registered name or alias (cached: names repeat on every call)."""
    return _form_of(_expand(company_key(name).split()))


def _spoken_form(spoken: str) -> _Form:
    """The matching form of what a caller said, without "llamo de…" and "…gracias"."""
    words = _expand(company_key(spoken).split())
    while len(words) > 1 and words[0] in _LEAD_INS:
        words = words[1:]
    while len(words) > 1 and words[-1] in _TAILS:
        words = words[:-1]
    return _form_of(words)


def _closeness(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """How alike two word sequences are, in any order and however they were split."""
    if not a or not b:
        return 0.0
    return max(fuzz.token_sort_ratio(" ".join(a), " ".join(b)),
               fuzz.ratio("".join(a), "".join(b)))


def _score(said: _Form, name: _Form) -> float:
    """How well what was said fits a name, 0-100."""
    score = _closeness(said.words, name.words)
    if said.core and name.core and said.kinds <= name.kinds and said.kinds != name.kinds:
        score = max(score, _closeness(said.core, name.core) - PARTIAL_PENALTY)
    # Recognition does not slip from one number to another, and a kind is not a name.
    if (said.numbers and name.numbers and said.numbers != name.numbers) or (
            name.core and not said.core):
        score = min(score, GUESS_CAP)
    return score


@lru_cache(maxsize=8)
def _directory(candidates: tuple) -> tuple[tuple, dict[str, list[tuple[int, str]]]]:
    """The candidates as (id, name, every name it goes by), and which companies each key of
    those names belongs to (cached: the same list comes with every call)."""
    companies = tuple(
        (cid, name, (name, aliases) if isinstance(aliases, str) else (name, *aliases))
        for cid, name, aliases in candidates)
    by_key: dict[str, list[tuple[int, str]]] = {}
    for cid, name, names in companies:
        for key in dict.fromkeys(_name_key(n) for n in names):
            by_key.setdefault(key, []).append((cid, name))
    return companies, by_key


@lru_cache(maxsize=8)
def _reach_table(companies: tuple) -> tuple:
    """For each registered name: its company's place, and its forms as the four strings the
    reach test compares (cached: the same list comes with every call)."""
    owners, words, joined, cores, joined_cores = [], [], [], [], []
    for index, (_cid, _name, names) in enumerate(companies):
        for name in names:
            form = _name_form(name)
            owners.append(index)
            words.append(" ".join(form.words))
            joined.append("".join(form.words))
            cores.append(" ".join(form.core))
            joined_cores.append("".join(form.core))
    return owners, words, joined, cores, joined_cores


def _within_reach(said: _Form, companies: tuple) -> list:
    """The companies one of whose names could score GUESS_SCORE or more, found for all names at
    once by rapidfuzz (C): every term of `_score` is at most one of these four plain ratios, so
    a name below GUESS_SCORE on all four can be neither a guess nor decide a margin (a best
    match at MATCH_SCORE is then ahead by more than MARGIN anyway). With a few hundred
    companies this is what keeps a miss well under a millisecond."""
    if len(companies) <= _FULL_SCORING_UP_TO:
        return companies
    owners, words, joined, cores, joined_cores = _reach_table(companies)
    reach = set()
    for query, choices, scorer in (
            (" ".join(said.words), words, fuzz.token_sort_ratio),
            ("".join(said.words), joined, fuzz.ratio),
            (" ".join(said.core), cores, fuzz.token_sort_ratio),
            ("".join(said.core), joined_cores, fuzz.ratio)):
        if query:
            reach.update(owners[index] for _choice, _score, index in process.extract(
                query, choices, scorer=scorer, score_cutoff=GUESS_SCORE, limit=None))
    return [company for index, company in enumerate(companies) if index in reach]


def match_company(
    spoken: str, candidates: Iterable[tuple[int, str, Sequence[str]]]
) -> Match:
    """The company (id, name, aliases) a caller's spoken words name, or guesses, or none."""
    said_key = company_key(spoken)
    if not said_key:
        return NO_MATCH
    companies, by_key = _directory(tuple(
        (cid, name, aliases if isinstance(aliases, str) else tuple(aliases))
        for cid, name, aliases in candidates))
    exact = [Guess(cid, name, 100.0) for cid, name in by_key.get(said_key, ())]
    if len(exact) == 1:
        return Match("matched", exact[0].company_id, tuple(exact), "key")
    if exact:
        return Match("unsure", None, tuple(exact[:MAX_GUESSES]), "key")

    said = _spoken_form(spoken)
    companies = _within_reach(said, companies)
    scored = sorted(
        (Guess(cid, name, round(max(_score(said, _name_form(n)) for n in names), 1))
         for cid, name, names in companies),
        key=lambda g: (-g.score, g.company_id),
    )
    guesses = tuple(g for g in scored[:MAX_GUESSES] if g.score >= GUESS_SCORE)
    if not guesses:
        return NO_MATCH
    best = guesses[0]
    runner_up = scored[1].score if len(scored) > 1 else 0.0
    if best.score >= MATCH_SCORE and best.score - runner_up >= MARGIN:
        return Match("matched", best.company_id, guesses, "fuzzy")
    return Match("unsure", None, guesses, "fuzzy")


def _hint(name: str) -> str:
    """A name as a recognition hint: its words with accents, no punctuation or legal form."""
    name = _THOUSANDS.sub("", unicodedata.normalize("NFKC", name))
    words = re.findall(r"[^\W_]+|&", name)
    words = ["y" if w == "&" else w for w in words]
    folded = [_fold(w) for w in words]
    kept = _strip_legal(folded, _LEGAL_FORMS)
    if not kept:
        return ""
    start = next(i for i in range(len(folded)) if folded[i:i + len(kept)] == kept)
    hint = " ".join(words[start:start + len(kept)])
    if len(hint) > MAX_HINT_LENGTH:
        hint = hint[:MAX_HINT_LENGTH + 1].rsplit(" ", 1)[0][:MAX_HINT_LENGTH]
    return hint


def speech_hints(names: Iterable[str], limit: int = MAX_HINTS) -> str:
    """Company names and aliases as Twilio <Gather hints>: comma-separated, one entry per key,
    each at most 100 characters, at most `limit` (500) entries."""
    cap = min(limit, MAX_HINTS)
    hints: list[str] = []
    seen: set[str] = set()
    for name in names:
        if len(hints) >= cap:
            break
        hint = _hint(name)
        key = company_key(hint)
        if key and key not in seen:
            seen.add(key)
            hints.append(hint)
    return ", ".join(hints)
