"""GB 11643-1999 居民身份证号码: check digit, dates, gender, and the ``make`` helper used by fixtures."""

import datetime as dt
import random

import pytest

from core import idcard

VALID = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("number", VALID)
def test_known_valid_numbers_pass(number):
    assert idcard.validate(number) is None


def test_lower_case_x_and_surrounding_spaces_are_accepted():
    assert idcard.validate(" 11010519491231002x ") is None


@pytest.mark.parametrize("number", VALID)
def test_check_digit_of_known_numbers(number):
    assert idcard.check_digit(number[:17]) == number[17]


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # real check char is X
        "110105194912310020",
        "440524188001010015",
        "440524188001010013",
    ],
)
def test_wrong_checksum_fails(number):
    assert idcard.validate(number) == "身份证号校验位错误"


@pytest.mark.parametrize(
    "body",
    [
        "11010519491331002",  # month 13
        "11010519490230002",  # 30 February
        "11010520230229002",  # 2023 is not a leap year
        "11010519490000002",  # month 0
    ],
)
def test_bad_birth_date_fails_even_with_correct_check_digit(body):
    number = body + idcard.check_digit(body)
    assert idcard.validate(number) == "身份证号中的出生日期无效"


def test_leap_day_is_a_valid_birth_date():
    number = idcard.make("110105", dt.date(2012, 2, 29), 31)
    assert idcard.validate(number) is None
    assert idcard.birth_date(number) == dt.date(2012, 2, 29)


@pytest.mark.parametrize(
    "number",
    [
        "",
        "11010519491231002",  # 17 characters
        "11010519491231002X1",  # 19 characters
        "1101051949123100XX",  # X only allowed last
        "X1010519491231002X",
        "11010519491231002Y",
        "110105 9491231002X",
        "110105194912310O2X",  # letter O instead of zero
    ],
)
def test_malformed_numbers_fail_with_length_message(number):
    assert idcard.validate(number) == "身份证号必须是 18 位（最后一位可为 X）"


def test_gender_code_from_17th_digit():
    # 17th digit 2 (even) = female, 1 (odd) = male
    assert idcard.gender_code("11010519491231002X") == "2"
    assert idcard.gender_code("440524188001010014") == "1"


def test_birth_date_of_known_numbers():
    assert idcard.birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert idcard.birth_date("440524188001010014") == dt.date(1880, 1, 1)


def test_make_reproduces_known_number():
    assert idcard.make("110105", dt.date(1949, 12, 31), 2) == "11010519491231002X"
    assert idcard.make("440524", dt.date(1880, 1, 1), 1) == "440524188001010014"


def test_make_produces_valid_numbers_for_many_random_inputs():
    rng = random.Random(1)
    seen_check_chars = set()
    for _ in range(2000):
        area = f"{rng.randint(110000, 659999):06d}"
        born = dt.date(1900, 1, 1) + dt.timedelta(days=rng.randint(0, 45000))
        seq = rng.randint(0, 999)
        number = idcard.make(area, born, seq)
        assert len(number) == 18
        assert idcard.validate(number) is None, number
        assert idcard.birth_date(number) == born
        assert number[:6] == area
        assert idcard.gender_code(number) == ("1" if seq % 2 else "2")
        seen_check_chars.add(number[17])
    # all eleven check characters (0-9 and X) occur, so the X branch is exercised too
    assert seen_check_chars == set("0123456789X")


def test_every_single_character_substitution_is_detected():
    """MOD 11-2 detects every single-digit error: no typo of a valid number validates."""
    rng = random.Random(1)
    for _ in range(50):
        number = idcard.make(
            "330211", dt.date(1990, 1, 1) + dt.timedelta(days=rng.randint(0, 9000)), rng.randint(0, 999)
        )
        for pos in range(18):
            for ch in "0123456789X":
                if ch == number[pos]:
                    continue
                typo = number[:pos] + ch + number[pos + 1 :]
                assert idcard.validate(typo) is not None, typo
