"""Encryption at rest and keyed lookup hashes for personal numbers.

Fernet keys come from FIELD_ENCRYPTION_KEY (comma-separated, newest first): MultiFernet encrypts
with the first and decrypts with any, so a key is rotated by putting a new one in front and running
`manage.py rotate_field_keys`. The lookup column holds HMAC-SHA256(ID_HASH_KEY, value), never the
value itself."""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


@cache
def _hash_key() -> bytes:
    return str(settings.ID_HASH_KEY).encode()


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode("ascii")).decode()


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def lookup_hash(value: str) -> str:
    return hmac.new(_hash_key(), value.encode(), hashlib.sha256).hexdigest()


def reset_caches() -> None:
    """For tests that change the keys."""
    _fernet.cache_clear()
    _hash_key.cache_clear()
