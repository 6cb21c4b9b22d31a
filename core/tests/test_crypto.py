"""Personal-data protection: field encryption, blind indexes, masking, log redaction, password policy."""

import io
import logging
import re

import pytest
from cryptography.exceptions import InvalidTag
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection

from core import crypto
from core.crypto import blind_index, decrypt, encrypt, mask_id_number, mask_phone
from core.models import Person
from core.security.logging import RedactPersonalDataFilter
from core.security.passwords import CharacterClassValidator

ID_NUMBER = "11010519491231002X"
EIGHTEEN_DIGITS = re.compile(r"\d{17}[\dXx]")
TOO_SIMPLE = "密码须包含小写字母、大写字母、数字、符号中的至少三类。"


# --- encryption --------------------------------------------------------------------------------------


def test_encrypt_decrypt_roundtrip():
    for text in [ID_NUMBER, "13800138000", "护照 E12345678", "x"]:
        token = encrypt(text)
        assert token.startswith("v1:")
        if len(text) > 5:
            assert text not in token
        assert decrypt(token) == text


def test_ciphertext_differs_each_time():
    tokens = {encrypt(ID_NUMBER) for _ in range(20)}
    assert len(tokens) == 20
    assert {decrypt(t) for t in tokens} == {ID_NUMBER}


def test_tampered_ciphertext_fails_to_decrypt():
    token = encrypt(ID_NUMBER)
    body = token[3:]
    # flip one character in the middle of the authenticated ciphertext
    i = len(body) // 2
    flipped = body[:i] + ("A" if body[i] != "A" else "B") + body[i + 1 :]
    with pytest.raises(InvalidTag):
        decrypt("v1:" + flipped)


def test_ciphertext_under_another_key_does_not_decrypt(settings):
    token = encrypt(ID_NUMBER)
    settings.FIELD_ENCRYPTION_KEY = crypto.generate_key()
    with pytest.raises(InvalidTag):
        decrypt(token)


def test_decrypt_refuses_unprefixed_values():
    with pytest.raises(ValueError):
        decrypt(ID_NUMBER)


@pytest.mark.parametrize("bad_key", ["", "not base64 at all!!", "c2hvcnQ="])
def test_missing_or_malformed_key_is_improperly_configured(settings, bad_key):
    settings.FIELD_ENCRYPTION_KEY = bad_key
    crypto._keys.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured):
            encrypt(ID_NUMBER)
        with pytest.raises(ImproperlyConfigured):
            blind_index(ID_NUMBER, "id")
    finally:
        crypto._keys.cache_clear()


@pytest.mark.django_db
def test_person_values_are_stored_encrypted_and_read_back_in_clear():
    p = Person(name="测试", id_type="1", id_number=ID_NUMBER, phone="13800138000")
    p.save()
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM core_person WHERE id = %s", [p.pk])
        raw_id, raw_phone = cur.fetchone()
    assert raw_id.startswith("v1:") and raw_phone.startswith("v1:")
    assert ID_NUMBER not in raw_id and "13800138000" not in raw_phone
    again = Person.objects.get(pk=p.pk)
    assert again.id_number == ID_NUMBER
    assert again.phone == "13800138000"
    # updating re-encrypts with a fresh nonce; value still reads back
    again.phone = "13900139000"
    again.save()
    assert Person.objects.get(pk=p.pk).phone == "13900139000"


@pytest.mark.django_db
def test_no_plaintext_personal_data_in_person_table(world):
    plain = {value for p in Person.objects.all() for value in (p.id_number, p.phone) if value}
    assert any(len(v) == 18 for v in plain) and any(len(v) == 11 for v in plain)
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM core_person")
        rows = cur.fetchall()
    assert len(rows) == Person.objects.count() >= 14
    for raw_id, raw_phone in rows:
        for raw in (raw_id, raw_phone):
            if raw:
                assert raw.startswith("v1:")
                assert not EIGHTEEN_DIGITS.search(raw)
                assert raw not in plain and not any(v in raw for v in plain)


@pytest.mark.django_db
def test_other_id_type_value_starting_with_prefix_is_still_encrypted():
    """A free-text 其他证件 number that happens to start with "v1:" must not be stored in clear (and must load)."""
    p = Person(name="境外人员", id_type="Z", id_number="v1:AB123456")
    p.save()
    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM core_person WHERE id = %s", [p.pk])
        (raw,) = cur.fetchone()
    assert raw != "v1:AB123456"
    assert Person.objects.get(pk=p.pk).id_number == "v1:AB123456"


# --- blind index -------------------------------------------------------------------------------------


def test_blind_index_is_deterministic_and_keyed_per_purpose():
    a = blind_index(ID_NUMBER, "id")
    assert a == blind_index(ID_NUMBER, "id")
    assert re.fullmatch(r"[0-9a-f]{40}", a)
    assert ID_NUMBER not in a
    assert a != blind_index(ID_NUMBER, "phone")
    assert a != blind_index("440524188001010014", "id")


def test_blind_index_is_case_insensitive_for_x_and_ignores_spaces():
    assert blind_index("11010519491231002x", "id") == blind_index("11010519491231002X", "id")
    assert blind_index(" 11010519491231002X ", "id") == blind_index("11010519491231002X", "id")


def test_blind_index_depends_on_the_key(settings):
    before = blind_index(ID_NUMBER, "id")
    settings.FIELD_ENCRYPTION_KEY = crypto.generate_key()
    assert blind_index(ID_NUMBER, "id") != before


@pytest.mark.django_db
def test_person_lookup_by_blind_index_finds_lower_case_x():
    p = Person(name="测试", id_type="1", id_number=ID_NUMBER)
    p.save()
    assert p.id_number_index == blind_index(f"1:{ID_NUMBER}", "id")
    assert Person.objects.get(id_number_index=blind_index("1:11010519491231002x", "id")) == p


# --- masking -----------------------------------------------------------------------------------------


def test_mask_id_number():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_number("") == ""
    assert mask_id_number(None) == ""
    assert mask_id_number("E1234567") == "E1******"


def test_mask_phone():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("") == ""
    assert mask_phone(None) == ""
    assert mask_phone("12345") == "*****"


@pytest.mark.django_db
def test_person_masked_properties():
    p = Person(name="测试", id_number=ID_NUMBER, phone="13800138000")
    assert p.id_number_masked == "110105********002X"
    assert p.phone_masked == "138****8000"


# --- logs --------------------------------------------------------------------------------------------


def _logger_with_capture(name):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactPersonalDataFilter())
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_log_filter_masks_id_numbers_and_phones():
    logger, stream = _logger_with_capture("zx.test.redact")
    logger.info("家长 %s 手机 %s 绑定失败", ID_NUMBER, "13800138000")
    logger.warning("证件号:440524188001010014，电话 13912345678。")
    out = stream.getvalue()
    assert "110105********002X" in out
    assert "138****8000" in out
    assert "440524********0014" in out
    assert "139****5678" in out
    assert ID_NUMBER not in out and "13800138000" not in out
    assert "440524188001010014" not in out and "13912345678" not in out
    assert not EIGHTEEN_DIGITS.search(out)


def test_log_filter_leaves_other_numbers_alone():
    logger, stream = _logger_with_capture("zx.test.redact2")
    logger.info("导入 %d 行，学校标识码 %s", 1234, "3133000001")
    assert "导入 1234 行，学校标识码 3133000001" in stream.getvalue()


def test_configured_root_handler_redacts():
    """The LOGGING setting attaches the redaction filter to the console handler."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    redacting = [h for h in handlers if any(isinstance(f, RedactPersonalDataFilter) for f in h.filters)]
    assert redacting, "root console handler has no RedactPersonalDataFilter"
    handler = redacting[0]
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "号码 %s", (ID_NUMBER,), None)
    assert handler.filter(record)
    assert record.getMessage() == "号码 110105********002X"


# --- passwords ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["password123", "PASSWORD123", "abcdefghijk", "Abcdefghijk", "12345678901", "abc-def-ghi"]
)
def test_simple_passwords_are_rejected(password):
    with pytest.raises(ValidationError) as exc:
        CharacterClassValidator().validate(password)
    assert exc.value.messages == [TOO_SIMPLE]
    assert exc.value.error_list[0].code == "password_too_simple"


@pytest.mark.parametrize("password", ["Zhixiao@2026", "zhixiao@2026", "Zhixiao2026", "ZHIXIAO@2026"])
def test_passwords_with_three_classes_are_accepted(password):
    CharacterClassValidator().validate(password)


def test_help_text_is_chinese():
    assert CharacterClassValidator().get_help_text() == TOO_SIMPLE


@pytest.mark.django_db
def test_configured_validators_reject_simple_and_accept_strong_password():
    from django.contrib.auth.password_validation import validate_password

    validate_password("Zhixiao@2026")
    with pytest.raises(ValidationError) as exc:
        validate_password("zhixiaozhixiao")
    assert TOO_SIMPLE in exc.value.messages


def test_real_settings_hash_passwords_with_argon2():
    import zhixiao.settings as real

    assert real.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hasher_produces_argon2id_hashes():
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password("Zhixiao@2026", hasher="argon2")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("Zhixiao@2026", encoded)
    assert not check_password("Zhixiao@2027", encoded)


@pytest.mark.django_db
def test_student_number_is_encrypted_and_found_by_exact_match(world):
    from django.db import connection

    from core.models import Student

    student = world.student_a1
    with connection.cursor() as cur:
        cur.execute("SELECT student_no FROM core_student WHERE id = %s", [student.pk])
        raw = cur.fetchone()[0]
    assert raw.startswith("v1:") and student.person.id_number not in raw
    assert Student.objects.get(student_no_index=Student.student_no_lookup(student.student_no.lower())) == student
    assert student.student_no_masked == "G" + student.person.id_number_masked


def test_file_encryption_roundtrip_and_tamper_detection():
    import pytest as _pytest
    from cryptography.exceptions import InvalidTag

    from core.crypto import decrypt_bytes, encrypt_bytes

    data = "姓名,身份证件号\n周小明,11010519491231002X\n".encode()
    blob = encrypt_bytes(data)
    assert b"11010519491231002X" not in blob and decrypt_bytes(blob) == data
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with _pytest.raises(InvalidTag):
        decrypt_bytes(tampered)
