"""A text field whose column holds only Fernet ciphertext (portal.core.crypto)."""

from typing import Any

from django.db import models

from portal.core import crypto


class EncryptedTextField(models.TextField):
    """Encrypts on save, decrypts on load. Not searchable: pair it with a lookup-hash column."""

    description = "Text encrypted at rest with MultiFernet"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))
