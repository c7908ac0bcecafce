"""Tests for ivr.domain.case_numbers."""

from __future__ import annotations

import functools
import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import damm

from ivr.domain.case_numbers import (
    ACCEPTED_LENGTHS,
    CURRENT_LENGTH,
    CaseNumberCheck,
    check_case_number,
    is_valid_case_number,
    make_case_number,
    random_case_number,
    spoken_digits,
)


@functools.cache
def case_numbers_6() -> tuple[str, ...]:
    """Return the case numbers of all 90,000 five-digit bodies (the length-6 space)."""
    return tuple(make_case_number(body) for body in range(10_000, 100_000))


@functools.cache
def damm_space_6() -> frozenset[str]:
    """Return every Damm-valid 6-digit string, including those starting with 0."""
    # A corrupted case number may well start with 0, and the check digit alone
    # must still reject it.
    zero_led = (f"{body:05d}" + damm.calc_check_digit(f"{body:05d}") for body in range(10_000))
    return frozenset(case_numbers_6()).union(zero_led)


def substitutions(number: str) -> list[str]:
    """Return every number that differs from `number` in exactly one digit."""
    return [
        number[:i] + d + number[i + 1 :]
        for i in range(len(number))
        for d in "0123456789"
        if d != number[i]
    ]


def adjacent_transpositions(number: str) -> list[str]:
    """Return every number made by swapping two adjacent, different digits."""
    return [
        number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        for i in range(len(number) - 1)
        if number[i] != number[i + 1]
    ]


def test_length_six_space_is_complete():
    """The exhaustive sweep really covers all 90,000 five-digit bodies."""
    numbers = case_numbers_6()
    assert len(set(numbers)) == 90_000
    assert all(len(n) == 6 and n[0] != "0" for n in numbers)
    assert len(damm_space_6()) == 100_000


@pytest.mark.parametrize("position", range(6))
def test_every_single_substitution_is_caught_exhaustively(position):
    """No two Damm-valid 6-digit numbers differ only at `position`."""
    # If a substitution at `position` turned a valid number into another valid
    # one, both would share everything but that digit; so it is enough that
    # blanking the digit out leaves every valid number distinct. This checks
    # all 90,000 * 9 substitutions at this position without building them.
    masked = Counter(n[:position] + n[position + 1 :] for n in damm_space_6())
    assert max(masked.values()) == 1


def test_every_adjacent_transposition_is_caught_exhaustively():
    """Swapping any two adjacent, different digits of any number breaks the check."""
    space = damm_space_6()
    escaped = [t for n in case_numbers_6() for t in adjacent_transpositions(n) if t in space]
    assert escaped == []


@given(st.integers(min_value=100_000, max_value=999_999))
def test_errors_in_seven_digit_numbers_are_caught(body):
    """Single substitutions and adjacent transpositions never yield a valid number."""
    number = make_case_number(body)
    assert is_valid_case_number(number)
    for wrong in substitutions(number) + adjacent_transpositions(number):
        assert not is_valid_case_number(wrong), (number, wrong)


def test_substitution_helper_counts():
    """The error generators produce what the property test relies on."""
    assert len(substitutions("1042931")) == 63
    assert adjacent_transpositions("1123") == ["1213", "1132"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [(572, "5724"), (104293, "1042937"), (999999, "9999990"), (100000, "1000002")],
)
def test_make_case_number_appends_damm_digit(body, expected):
    """make_case_number appends the Damm check digit to the body."""
    assert make_case_number(body) == expected
    assert damm.is_valid(expected)


@pytest.mark.parametrize("body", [0, -1, -104293])
def test_make_case_number_rejects_non_positive_bodies(body):
    """A body of 0 or below would not start with a non-zero digit."""
    with pytest.raises(ValueError):
        make_case_number(body)


@pytest.mark.parametrize("body", ["104293", 104293.0, True, None])
def test_make_case_number_rejects_non_integers(body):
    """Only ints are bodies; strings could carry leading zeros."""
    with pytest.raises(TypeError):
        make_case_number(body)


def test_random_case_number_defaults_to_current_length():
    """By default new numbers have the current length and validate."""
    number = random_case_number()
    assert len(number) == CURRENT_LENGTH == 7
    assert number[0] != "0"
    assert is_valid_case_number(number)


@pytest.mark.parametrize("length", ACCEPTED_LENGTHS)
def test_random_case_numbers_have_fixed_length_and_validate(length):
    """Generated numbers have exactly `length` digits, never start with 0, and validate."""
    rng = random.Random(length)
    numbers = [random_case_number(length, rng) for _ in range(2_000)]
    assert all(len(n) == length for n in numbers)
    assert all(n.isdigit() and n[0] != "0" for n in numbers)
    assert all(is_valid_case_number(n) for n in numbers)
    # Random, not sequential: 2,000 draws from ~10**(length-1) bodies barely collide.
    assert len(set(numbers)) > 1_990


def test_random_case_number_covers_all_leading_digits():
    """Every non-zero first digit occurs, so the whole body range is used."""
    rng = random.Random(7)
    firsts = {random_case_number(7, rng)[0] for _ in range(500)}
    assert firsts == set("123456789")


def test_random_case_number_is_reproducible_with_seeded_rng():
    """A seeded rng gives repeatable numbers, which tests elsewhere can rely on."""
    assert random_case_number(7, random.Random(42)) == random_case_number(7, random.Random(42))


@pytest.mark.parametrize("length", [0, 5, 6, 10])
def test_random_case_number_rejects_unaccepted_lengths(length):
    """Only lengths that validation accepts can be issued."""
    with pytest.raises(ValueError):
        random_case_number(length)


@pytest.mark.parametrize("length", ACCEPTED_LENGTHS)
def test_all_accepted_lengths_validate(length):
    """Old 7-digit numbers stay valid once longer ones are issued."""
    number = make_case_number(10 ** (length - 2) + 12345)
    assert len(number) == length
    assert is_valid_case_number(number)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1042937", CaseNumberCheck.OK),
        ("10429319", CaseNumberCheck.OK),
        ("104293144", CaseNumberCheck.OK),
        (" 1042937 ", CaseNumberCheck.OK),
        ("", CaseNumberCheck.EMPTY),
        ("   ", CaseNumberCheck.EMPTY),
        (None, CaseNumberCheck.EMPTY),
        ("1", CaseNumberCheck.WRONG_LENGTH),
        ("104293", CaseNumberCheck.WRONG_LENGTH),
        ("1042931420", CaseNumberCheck.WRONG_LENGTH),
        ("1042931", CaseNumberCheck.BAD_CHECK_DIGIT),
        ("1402937", CaseNumberCheck.BAD_CHECK_DIGIT),
        ("0104293", CaseNumberCheck.BAD_CHECK_DIGIT),
        ("0000000", CaseNumberCheck.BAD_CHECK_DIGIT),
        ("10429a1", CaseNumberCheck.BAD_CHECK_DIGIT),
        ("104-293", CaseNumberCheck.BAD_CHECK_DIGIT),
        ("١٠٤٢٩٣١", CaseNumberCheck.BAD_CHECK_DIGIT),
    ],
)
def test_check_case_number(text, expected):
    """check_case_number tells apart the ways a number can be wrong."""
    assert check_case_number(text) is expected
    assert is_valid_case_number(text) is (expected is CaseNumberCheck.OK)


def test_leading_zero_is_rejected_even_with_valid_check_digit():
    """A Damm-valid number starting with 0 is still not a case number."""
    number = "0" + make_case_number(104293)[:-1]
    number += damm.calc_check_digit(number)
    assert damm.is_valid(number)
    assert check_case_number(number) is CaseNumberCheck.BAD_CHECK_DIGIT


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("1042931", "1, 0, 4, 2, 9, 3, 1"),
        ("7", "7"),
        (" 10429314 ", "1, 0, 4, 2, 9, 3, 1, 4"),
    ],
)
def test_spoken_digits(number, expected):
    """Digits are separated by ", " so a TTS voice reads them one at a time."""
    assert spoken_digits(number) == expected


@pytest.mark.parametrize("number", ["", "10 42", "10429a"])
def test_spoken_digits_rejects_non_digits(number):
    """Reading out anything but digits would be a bug upstream."""
    with pytest.raises(ValueError):
        spoken_digits(number)
