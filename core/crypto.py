"""Field encryption for personal data (身份证号, phone numbers) and keyed blind indexes.

AES-256-GCM with a random nonce per value; the key comes from settings.FIELD_ENCRYPTION_KEY (environment),
never from the repository. A blind index (HMAC-SHA256 with a separate derived key) allows exact lookups and
uniqueness without storing the plaintext. Masking helpers decide what is shown on screen and in exports.
"""

import base64
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "v1:"


@lru_cache(maxsize=4)
def _keys(master_b64: str) -> tuple[bytes, bytes]:
    if not master_b64:
        raise ImproperlyConfigured("ZX_FIELD_KEY 未设置：个人敏感数据加密密钥必须通过环境变量提供。")
    try:
        master = base64.urlsafe_b64decode(master_b64)
    except ValueError as exc:
        raise ImproperlyConfigured("ZX_FIELD_KEY 不是合法的 base64 编码。") from exc
    if len(master) != 32:
        raise ImproperlyConfigured("ZX_FIELD_KEY 必须是 32 字节（base64 编码）。")

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

    return derive(b"zhixiao field encryption"), derive(b"zhixiao blind index")


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@lru_cache(maxsize=4)
def _cipher(master_b64: str) -> AESGCM:
    return AESGCM(_keys(master_b64)[0])


def encrypt(plaintext: str) -> str:
    nonce = os.urandom(12)
    ct = _cipher(settings.FIELD_ENCRYPTION_KEY).encrypt(nonce, plaintext.encode(), None)
    return PREFIX + base64.urlsafe_b64encode(nonce + ct).decode()


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise ValueError("not an encrypted value")
    raw = base64.urlsafe_b64decode(token[len(PREFIX) :])
    return _cipher(settings.FIELD_ENCRYPTION_KEY).decrypt(raw[:12], raw[12:], None).decode()


def blind_index(value: str, purpose: str) -> str:
    """Deterministic keyed digest of a normalised value, for lookup and unique constraints."""
    _, idx_key = _keys(settings.FIELD_ENCRYPTION_KEY)
    normalised = value.strip().upper()
    return hmac.digest(idx_key, f"{purpose}:{normalised}".encode(), "sha256").hex()[:40]


class EncryptedCharField(models.TextField):
    """Stores ciphertext; Python code sees plaintext. Never filter on it: use the blind index field."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 8:
        return value[:2] + "*" * (len(value) - 2)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


BYTES_MAGIC = b"ZXE1"


def encrypt_bytes(data: bytes) -> bytes:
    """Encrypt a file's content (uploaded rosters, error reports) for storage at rest."""
    enc_key, _ = _keys(settings.FIELD_ENCRYPTION_KEY)
    nonce = os.urandom(12)
    return BYTES_MAGIC + nonce + AESGCM(enc_key).encrypt(nonce, data, b"file")


def decrypt_bytes(blob: bytes) -> bytes:
    if not blob.startswith(BYTES_MAGIC):
        raise ValueError("not an encrypted file")
    enc_key, _ = _keys(settings.FIELD_ENCRYPTION_KEY)
    body = blob[len(BYTES_MAGIC) :]
    return AESGCM(enc_key).decrypt(body[:12], body[12:], b"file")
