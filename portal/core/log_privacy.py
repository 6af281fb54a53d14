"""No identity, phone or card number in a log line (issue 19, DESIGN.md section 3).

The code never logs these numbers in full: it logs ids, or the masked forms of portal.core.masking.
This is the second line of defence for the day someone writes `log.info("... %s", id_number)`: a
filter on every handler (settings LOGGING) renders each record's message and masks, with the same
functions the pages use, anything that stands alone (not inside a longer word, number or uuid) and
is shaped like an identity number (17 digits and a digit or X), a mainland mobile number (1, 3-9
and nine digits, with or without +86 and separators) or a social security card number (a letter and
8 digits), in the message and in every extra field; the JSON formatter (portal.core.log_format)
masks its finished line once more, which also covers tracebacks and the text of objects passed as
extra fields. Names cannot be told from other words by their shape: they stay the code's job
(`mask_name`)."""

import logging
import re
from typing import Any

from portal.core.masking import mask_card, mask_id_number, mask_phone

# Not part of a longer word or number (a uuid, a token), nor the fraction of a decimal (a duration
# like 0.029078123456783576); a Chinese character or punctuation may stand right beside one.
_NOT_AFTER = r"(?<![0-9A-Za-z])(?<![0-9]\.)"
_NOT_BEFORE = r"(?![0-9A-Za-z])"
_ID_NUMBER = re.compile(_NOT_AFTER + r"[0-9]{17}[0-9Xx]" + _NOT_BEFORE)
_PHONE = re.compile(
    _NOT_AFTER + r"(?P<prefix>(?:\+|00)?86[- ]?)?(?P<number>1[3-9][0-9](?:[- ]?[0-9]{4}){2})" + _NOT_BEFORE
)
_CARD = re.compile(r"(?<![0-9A-Za-z])[A-Za-z][0-9]{8}" + _NOT_BEFORE)

# What every LogRecord has; anything else on a record came in through `extra=` or a filter.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"[- ]", "", match["number"])
    return (match["prefix"] or "") + mask_phone(digits)


def mask_personal_numbers(text: str) -> str:
    """`text` with every identity, mobile and card number replaced by its masked form."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m[0]), text)
    text = _PHONE.sub(_phone, text)
    return _CARD.sub(lambda m: mask_card(m[0]), text)


def mask_personal_numbers_in(value: Any) -> Any:
    """A string, or the strings inside dicts, lists and tuples, masked; anything else as it is."""
    if isinstance(value, str):
        return mask_personal_numbers(value)
    if isinstance(value, dict):
        return {k: mask_personal_numbers_in(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_personal_numbers_in(v) for v in value)
    return value


class PersonalNumberFilter(logging.Filter):
    """Masks personal numbers in a record's message, arguments, extra fields and traceback. The
    message is rendered here (arguments applied), so a number passed as an argument is masked too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):
            record.msg = mask_personal_numbers_in(record.msg)
        else:
            try:
                message = record.getMessage()
            except Exception:  # a bad format string: the handler reports it as logging does
                return True
            record.msg, record.args = mask_personal_numbers(message), ()
        for key, value in list(record.__dict__.items()):
            if key not in _RECORD_ATTRS:
                setattr(record, key, mask_personal_numbers_in(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_numbers(record.stack_info)
        return True
