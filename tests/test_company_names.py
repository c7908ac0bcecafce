"""Tests for ivr.domain.company_names: the stored key, the spoken-name matcher, speech hints."""

from __future__ import annotations

import ast
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.domain import company_names
from ivr.domain.company_names import (
    GUESS_SCORE,
    MATCH_SCORE,
    MAX_HINT_LENGTH,
    Match,
    company_key,
    match_company,
    speech_hints,
)

# Registered companies as an operator would type them, with their aliases.
AVILA, PALOS, CARACAS, CLINICA, FERRETERIA, CHACAO = 1, 2, 3, 4, 5, 6
PREVISORA, UNION, TRES_M, RODRIGUEZ, FARMACIA_SOFIA, VARGAS = 7, 8, 9, 10, 11, 12
PLAZAS, JR, GONZALEZ = 13, 14, 15
COMPANIES: list[tuple[int, str, tuple[str, ...]]] = [
    (AVILA, "Farmacia El Ávila, C.A.", ("Farmavila",)),
    (PALOS, "Inversiones Los Palos Grandes S.R.L.", ()),
    (CARACAS, "Distribuidora Caracas 2000, C.A.", ()),
    (CLINICA, "Clínica Santa Sofía, C.A.", ()),
    (FERRETERIA, "Ferretería La Candelaria", ()),
    (CHACAO, "Panadería y Pastelería Chacao", ()),
    (PREVISORA, "Seguros La Previsora, C.A.", ("La Previsora",)),
    (UNION, "Transporte Unión, S.A.", ()),
    (TRES_M, "Inversiones 3M, C.A.", ()),
    (RODRIGUEZ, "Comercializadora Rodríguez & Hijos, C.A.", ()),
    # Deliberately close to the clinic: "Santa Sofía" alone names neither.
    (FARMACIA_SOFIA, "Farmacia Santa Sofía", ()),
    (VARGAS, "C.A. Laboratorios Vargas", ()),
    (PLAZAS, "Automercado Plaza's, C.A.", ()),
    (JR, "Multiservicios J.R., C.A.", ()),
    (GONZALEZ, "Autorepuestos Hnos. González, S.R.L.", ()),
]

UNSURE, NONE = "unsure", "none"

# What speech recognition may hand back for each company, and what must come of it.
SPOKEN: list[tuple[str, int | str]] = [
    # Farmacia El Ávila, C.A.
    ("Farmacia El Ávila", AVILA),
    ("farmacia el avila", AVILA),
    ("FARMACIA EL ÁVILA C.A.", AVILA),
    ("farmacia el ávila compañía anónima", AVILA),
    ("farmacia el ávila ce a", AVILA),
    ("Farmacia el Abila", AVILA),
    ("farmacia Ávila", AVILA),
    ("farmacia elavila", AVILA),
    ("el Ávila", AVILA),
    ("Farmavila", AVILA),
    ("sí, llamo de la farmacia el ávila", AVILA),
    ("farmacia el a vila", AVILA),
    ("farmacia la vila", AVILA),
    # Inversiones Los Palos Grandes S.R.L.
    ("Inversiones Los Palos Grandes", PALOS),
    ("inversiones palos grandes", PALOS),
    ("Inversiones los Palo Grandes SRL", PALOS),
    ("inversiones los palos grandes ese erre ele", PALOS),
    ("Inversiones Los Palosgrandes", PALOS),
    ("Los Palos Grandes", PALOS),
    # Distribuidora Caracas 2000, C.A.
    ("distribuidora caracas dos mil", CARACAS),
    ("Distribuidora Caracas 2000", CARACAS),
    ("Distribuidora Caracas 2.000", CARACAS),
    ("Distribuidora Valencia 2000", UNSURE),
    ("Distribuidora Caracas 2001", UNSURE),
    ("distribuidora caracas", CARACAS),
    ("Dist. Caracas 2000", CARACAS),
    ("distribuidora caraca 2000", CARACAS),
    # Clínica Santa Sofía, C.A. and Farmacia Santa Sofía
    ("Clínica Santa Sofía", CLINICA),
    ("clinica santa sofia c a", CLINICA),
    ("Clínica Sta. Sofía", CLINICA),
    ("Farmacia Santa Sofía", FARMACIA_SOFIA),
    ("santa sofía", UNSURE),
    ("la Santa Sofia", UNSURE),
    ("buenas tardes, le hablo de la clínica santa sofía", CLINICA),
    ("clínica santa sofi", CLINICA),
    ("Farmacia Santa Rosa", UNSURE),
    # Ferretería La Candelaria
    ("Ferretería La Candelaria", FERRETERIA),
    ("ferreteria candelaria", FERRETERIA),
    ("Ferretería la Candelária", FERRETERIA),
    ("ferretería la canderalia", FERRETERIA),
    ("La Candelaria", FERRETERIA),
    # Panadería y Pastelería Chacao
    ("panadería y pastelería chacao", CHACAO),
    ("Panadería & Pastelería Chacao", CHACAO),
    ("panaderia pasteleria chacao", CHACAO),
    ("Panadería Chacao", CHACAO),
    ("panadería y pastelería chacado", CHACAO),
    ("Panadería Chacaíto", UNSURE),  # Chacaíto is another part of Caracas
    # Seguros La Previsora, C.A. (alias "La Previsora")
    ("Seguros La Previsora", PREVISORA),
    ("seguro la previsora", PREVISORA),
    ("La Previsora", PREVISORA),
    ("previsora", PREVISORA),
    ("de parte de seguros la previsora por favor", PREVISORA),
    ("previsora seguros", PREVISORA),
    ("Seguros La Providencia", UNSURE),
    # Transporte Unión, S.A.
    ("Transporte Unión", UNION),
    ("transportes unión", UNION),
    ("Transporte La Unión S.A.", UNION),
    ("transporte union sociedad anónima", UNION),
    ("la unión", UNION),
    ("Transporte Caracas", NONE),
    # Inversiones 3M, C.A.
    ("inversiones tres m", TRES_M),
    ("Inversiones 3 M", TRES_M),
    ("tres m", TRES_M),
    ("inversiones tres eme", TRES_M),
    ("3M", TRES_M),
    ("Inversiones 4M", UNSURE),
    # Comercializadora Rodríguez & Hijos, C.A.
    ("Comercializadora Rodríguez y Hijos", RODRIGUEZ),
    ("comercializadora rodriguez hijos", RODRIGUEZ),
    ("Rodríguez e Hijos", RODRIGUEZ),
    # C.A. Laboratorios Vargas
    ("Laboratorios Vargas", VARGAS),
    ("laboratorio bargas", VARGAS),
    # Automercado Plaza's, C.A.
    ("automercado plazas", PLAZAS),
    ("Automercado Plaza", PLAZAS),
    # Multiservicios J.R., C.A.
    ("multiservicios JR", JR),
    ("Multiservicios J R", JR),
    ("multiservicios jota erre", JR),
    # Autorepuestos Hnos. González, S.R.L.
    ("autorepuestos hermanos gonzález", GONZALEZ),
    ("auto repuestos hermanos gonzales", GONZALEZ),
    # Nobody registered, or not enough to say
    ("Banco de Venezuela", NONE),
    ("Seguros Caracas", NONE),
    ("Inversiones", UNSURE),
    ("no sé", NONE),
    ("", NONE),
    ("   ", NONE),
    ("farmacia", UNSURE),
    ("Ferretería El Ávila", UNSURE),
]


def expected_status(expected: int | str) -> str:
    """The status a table row asks for."""
    return expected if isinstance(expected, str) else "matched"


@pytest.mark.parametrize(("spoken", "expected"), SPOKEN)
def test_spoken_variants(spoken: str, expected: int | str) -> None:
    """Each spoken variant matches its company, or is unsure, or matches nothing."""
    match = match_company(spoken, COMPANIES)
    assert match.status == expected_status(expected), match
    if isinstance(expected, int):
        assert match.company_id == expected
        assert match.guesses[0].company_id == expected
    elif expected == UNSURE:
        assert match.company_id is None
        assert len(match.guesses) >= 1
        assert all(g.score >= GUESS_SCORE for g in match.guesses)
    else:
        assert match.company_id is None
        assert match.guesses == ()


def test_table_is_big_enough() -> None:
    """The issue asks for at least 40 spoken variants, with unsure and unknown ones."""
    assert len(SPOKEN) >= 40
    assert {expected_status(e) for _, e in SPOKEN} == {"matched", "unsure", "none"}


def test_unsure_offers_both_close_companies() -> None:
    """"Santa Sofía" is offered as both the clinic and the pharmacy, for an analyst to pick."""
    match = match_company("santa sofía", COMPANIES)
    assert match.unsure
    assert {g.company_id for g in match.guesses} == {CLINICA, FARMACIA_SOFIA}


def test_exact_key_match_says_so() -> None:
    """A name equal to a registered one once suffixes and accents are gone is a key match."""
    match = match_company("farmacia el avila", COMPANIES)
    assert match == Match("matched", AVILA, match.guesses, "key")
    assert match.matched and not match.unsure


def test_same_key_twice_is_unsure() -> None:
    """Two companies registered under the same key: the matcher does not pick one."""
    twins = [(1, "Farmacia El Ávila", ()), (2, "Farmacia El Avila, C.A.", ())]
    match = match_company("farmacia el ávila", twins)
    assert match.unsure
    assert [g.company_id for g in match.guesses] == [1, 2]


def test_alias_given_as_one_string() -> None:
    """An alias passed as a plain string is one alias, not one per letter."""
    assert match_company("a", [(1, "Farmacia El Ávila", "Farmavila")]).status == "none"
    assert match_company("farmavila", [(1, "Farmacia El Ávila", "Farmavila")]).company_id == 1


def test_no_candidates() -> None:
    """Nobody registered: nothing matches."""
    assert match_company("Farmacia El Ávila", []).status == "none"


def test_single_fuzzy_candidate_still_needs_the_threshold() -> None:
    """With one company only, a vaguely similar name is not matched."""
    match = match_company("Farmacia Santa Rosa", [(1, "Farmacia El Ávila, C.A.", ())])
    assert not match.matched


def test_fuzzy_match_scores_at_or_above_threshold() -> None:
    """A fuzzy match reports a score at or above MATCH_SCORE."""
    match = match_company("ferretería la canderalia", COMPANIES)
    assert match.method == "fuzzy"
    assert match.guesses[0].score >= MATCH_SCORE


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Farmacia El Ávila, C.A.", "farmacia el avila"),
        ("Farmacia El Ávila C.A", "farmacia el avila"),
        ("FARMACIA EL ÁVILA, CA", "farmacia el avila"),
        ("Farmacia El Ávila Compañía Anónima", "farmacia el avila"),
        ("Inversiones Los Palos Grandes S.R.L.", "inversiones los palos grandes"),
        ("Inversiones Los Palos Grandes, SRL", "inversiones los palos grandes"),
        ("Inversiones Los Palos Grandes Sociedad de Responsabilidad Limitada",
         "inversiones los palos grandes"),
        ("Seguros La Previsora S.A.C.A.", "seguros la previsora"),
        ("Transporte Unión, S.A.", "transporte union"),
        ("Transporte Unión Sociedad Anónima", "transporte union"),
        ("C.A. Laboratorios Vargas", "laboratorios vargas"),
        ("Compañía Anónima Laboratorios Vargas", "laboratorios vargas"),
        ("Sociedad Civil Los Andes", "sociedad civil los andes"),  # only C.A. leads
        ("Panadería & Pastelería Chacao", "panaderia y pasteleria chacao"),
        ("Consultores Pérez, S.C.", "consultores perez"),
        ("Bodega Doña Ñeca F.P.", "bodega dona neca"),
        ("  Clínica   Santa\tSofía ", "clinica santa sofia"),
        ("C.A.", "c a"),  # a name that is only a legal form keeps it
        ("", ""),
    ],
)
def test_company_key(name: str, key: str) -> None:
    """Keys drop case, accents, punctuation and legal forms at either end."""
    assert company_key(name) == key


# The key the directory stored before this module (ivr.services.directory.name_key),
# copied so the comparison holds even if that function changes.
def old_name_key(name: str) -> str:
    """name_key as stored in companies.name_key."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


@pytest.mark.parametrize(
    "name",
    ["Ferretería La Candelaria", "Panadería y Pastelería Chacao", "Farmacia Santa Sofía",
     "Distribuidora Caracas 2000", "Inversiones 3M", "Multiservicios J.R.", "Automercado Plaza's",
     "Autorepuestos Hnos. González", "Seguros La Previsora", "CCO Apoyo Empresarial"],
)
def test_key_agrees_with_stored_key_without_legal_form_or_ampersand(name: str) -> None:
    """Names without a legal form or "&" keep the key already stored for them."""
    assert company_key(name) == old_name_key(name)


@pytest.mark.parametrize(
    ("name", "stored", "new"),
    [
        ("Farmacia El Ávila, C.A.", "farmacia el avila c a", "farmacia el avila"),
        ("Transporte Unión, S.A.", "transporte union s a", "transporte union"),
        ("Panadería & Pastelería Chacao", "panaderia pasteleria chacao",
         "panaderia y pasteleria chacao"),
    ],
)
def test_key_differs_from_stored_key_with_legal_form_or_ampersand(
    name: str, stored: str, new: str
) -> None:
    """Names with a legal form or "&" get a new key: stored keys must be recomputed."""
    assert old_name_key(name) == stored
    assert company_key(name) == new


@given(st.text())
def test_company_key_is_idempotent(name: str) -> None:
    """Keying a key changes nothing, and no text makes it raise."""
    key = company_key(name)
    assert company_key(key) == key
    assert key == key.strip()
    assert "  " not in key


NAME_WORDS = st.sampled_from([
    "Farmacia", "El", "Ávila", "C.A.", "S.R.L.", "SA", "la", "de", "y", "&", "dos", "mil",
    "tres", "M", "3M", "2.000", "Compañía", "Anónima", "Hnos.", "Sta.", "Unión", "ce", "a",
    "veintidós", "primera", "Ñeca", "İstanbul", "ß", "½", "ª", "-", ",", "J.R.",
])
NAMES = st.one_of(st.text(min_size=1), st.lists(NAME_WORDS, min_size=1).map(" ".join))


@given(NAMES)
def test_company_key_is_idempotent_on_name_like_text(name: str) -> None:
    """Idempotent also on text made of the words the key treats specially."""
    assert company_key(company_key(name)) == company_key(name)


@given(st.lists(NAMES, min_size=1, max_size=8), st.data())
def test_a_name_always_matches_itself(names: list[str], data: st.DataObject) -> None:
    """Among companies with distinct keys, each name matches its own company."""
    keys = [company_key(n) for n in names]
    companies = [(i, n, ()) for i, n in enumerate(names)
                 if keys[i] and keys.count(keys[i]) == 1]
    if not companies:
        return
    cid, name, _ = data.draw(st.sampled_from(companies))
    assert match_company(name, companies) == Match(
        "matched", cid, match_company(name, companies).guesses, "key")


@given(st.text(), st.lists(st.tuples(st.integers(), NAMES, st.lists(NAMES, max_size=2))))
def test_match_company_never_raises(spoken: str, companies: list) -> None:
    """Any words against any companies give a well-formed answer."""
    match = match_company(spoken, companies)
    assert match.status in {"matched", "unsure", "none"}
    assert (match.company_id is not None) == match.matched
    assert all(g.score >= GUESS_SCORE for g in match.guesses)


def test_speech_hints() -> None:
    """Names lose their legal form and punctuation, keep accents, and appear once."""
    names = ["Farmacia El Ávila, C.A.", "Farmavila", "FARMACIA EL AVILA",
             "C.A. Laboratorios Vargas", "Panadería & Pastelería Chacao",
             "Multiservicios J.R., C.A.", "  ", "Distribuidora Caracas 2.000, C.A."]
    assert speech_hints(names) == (
        "Farmacia El Ávila, Farmavila, Laboratorios Vargas, Panadería y Pastelería Chacao,"
        " Multiservicios J R, Distribuidora Caracas 2000"
    )


def test_speech_hints_limits() -> None:
    """At most 500 entries of at most 100 characters, none empty, none with a comma."""
    long_name = " ".join(["Distribuidora"] * 20)
    names = [long_name, "x" * 150] + [f"Empresa {i}, C.A." for i in range(700)]
    entries = speech_hints(names).split(", ")
    assert len(entries) == 500
    assert all(0 < len(e) <= MAX_HINT_LENGTH for e in entries)
    assert all("," not in e for e in entries)
    assert entries[0].startswith("Distribuidora Distribuidora")
    assert entries[1] == "x" * 100
    assert speech_hints(names, limit=3).count(", ") == 2
    assert speech_hints([]) == ""


@given(st.lists(st.text(), max_size=20))
def test_speech_hints_never_raises(names: list[str]) -> None:
    """Any names give hints Twilio accepts."""
    hints = speech_hints(names)
    entries = hints.split(", ") if hints else []
    assert len(entries) <= 500
    assert all(0 < len(e) <= MAX_HINT_LENGTH and "," not in e for e in entries)


def test_domain_module_imports_neither_flask_nor_sqlalchemy() -> None:
    """The matcher is domain code: it imports no web, SQL or storage module (importing the
    `ivr` package loads Flask through the app factory, so the source is read instead)."""
    tree = ast.parse(Path(company_names.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported, "the module's imports were not found"
    assert not {m for m in imported
                if m.split(".")[0] in {"flask", "werkzeug", "sqlalchemy"}
                or m.startswith(("ivr.store", "ivr.services", "ivr.voice"))}


def test_many_companies_match_as_if_all_were_scored(monkeypatch) -> None:
    """Past a few dozen companies only the names within reach are scored in full: among 300
    more registered names, every spoken variant of the table gets exactly the answer (status,
    company, guesses) that scoring every name gives."""
    fillers = [(10_000 + n, f"{kind} {place} {n}", ()) for n, (kind, place) in enumerate(
        (kind, place) for kind in ("Inversiones", "Distribuidora", "Servicios", "Comercial",
                                   "Talleres", "Grupo")
        for place in ("Oriente", "Maracay", "Valencia", "Mérida", "Lara", "Zulia", "Barinas",
                      "Guárico", "Falcón", "Sucre") for _ in range(5))]
    many = [*COMPANIES, *fillers]
    assert len(many) > 300
    prefiltered = [match_company(spoken, many) for spoken, _expected in SPOKEN]
    monkeypatch.setattr(company_names, "_FULL_SCORING_UP_TO", 10**6)
    for (spoken, _expected), fast in zip(SPOKEN, prefiltered, strict=True):
        assert fast == match_company(spoken, many), spoken
