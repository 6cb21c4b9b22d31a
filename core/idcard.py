"""GB 11643-1999 居民身份证号码: 18 characters, ISO 7064 MOD 11-2 check digit."""

import datetime as dt

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_digit(body17: str) -> str:
    total = sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def validate(number: str) -> str | None:
    """Return a Chinese error message, or None when the number is well-formed."""
    n = number.strip().upper()
    if len(n) != 18 or not n[:17].isdigit() or not (n[17].isdigit() or n[17] == "X"):
        return "身份证号必须是 18 位（最后一位可为 X）"
    try:
        dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    if check_digit(n[:17]) != n[17]:
        return "身份证号校验位错误"
    return None


def birth_date(number: str) -> dt.date:
    n = number.strip()
    return dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))


def gender_code(number: str) -> str:
    """GB/T 2261.1: 1 男, 2 女 (17th digit odd = male)."""
    return "1" if int(number.strip()[16]) % 2 else "2"


def make(area6: str, born: dt.date, seq3: int) -> str:
    body = f"{area6}{born:%Y%m%d}{seq3:03d}"
    return body + check_digit(body)
