"""portal.core.crypto for a million values: the same Fernet tokens and lookup hashes, cheaper.

`crypto.encrypt` builds a MultiFernet token through cryptography's Fernet class, whose per-call
checks and object set-up cost more than the AES and HMAC work on an 18-character value. This
module produces tokens of exactly the Fernet specification (version 0x80, timestamp, random
128-bit IV, AES-128-CBC with PKCS7 padding, HMAC-SHA256 over all of it, url-safe base64) with the
newest key of FIELD_ENCRYPTION_KEY, as MultiFernet.encrypt does; the IVs of a batch come from one
os.urandom call. `crypto.decrypt` reads them (tests/test_imports.py checks both ways). Candidate for
portal.core.crypto once another bulk writer needs it."""

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

_VERSION = b"\x80"
_BLOCK = 16


class BulkEncryptor:
    """Fernet tokens for many values at once, with the key `crypto.encrypt` uses."""

    def __init__(self) -> None:
        key = base64.urlsafe_b64decode(settings.FIELD_ENCRYPTION_KEYS[0])
        if len(key) != 32:
            raise ValueError("FIELD_ENCRYPTION_KEY must hold 32-byte url-safe base64 Fernet keys")
        self._signing_key = key[:16]
        self._aes = algorithms.AES(key[16:])

    def encrypt_all(self, values: list[str]) -> list[str]:
        prefix = _VERSION + int(time.time()).to_bytes(8, "big")
        ivs = os.urandom(_BLOCK * len(values))
        aes, signing_key, sha256 = self._aes, self._signing_key, hashlib.sha256
        tokens = []
        for i, value in enumerate(values):
            data = value.encode()
            pad = _BLOCK - len(data) % _BLOCK
            iv = ivs[i * _BLOCK : (i + 1) * _BLOCK]
            encryptor = Cipher(aes, modes.CBC(iv)).encryptor()
            body = prefix + iv + encryptor.update(data + bytes((pad,)) * pad) + encryptor.finalize()
            mac = hmac.new(signing_key, body, sha256).digest()
            tokens.append(base64.urlsafe_b64encode(body + mac).decode("ascii"))
        return tokens


def lookup_hasher() -> Callable[[str], str]:
    """`crypto.lookup_hash` without its per-call look-ups: HMAC-SHA256 with ID_HASH_KEY, hex."""
    key, new, sha256 = str(settings.ID_HASH_KEY).encode(), hmac.new, hashlib.sha256

    def lookup_hash(value: str) -> str:
        return new(key, value.encode(), sha256).hexdigest()

    return lookup_hash
