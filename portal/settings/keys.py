"""Generates development keys into the git-ignored .local/ folder the first time they are needed.

Only the local and test settings call this; production settings require every key from the
environment and refuse to start without them."""

import base64
import os
import secrets
from pathlib import Path

LOCAL_DIR = Path(__file__).resolve().parent.parent.parent / ".local"
KEYS_FILE = LOCAL_DIR / "dev-keys.env"


# The online certification channels whose callbacks are signed (settings.CERTIFICATION_CHANNELS).
CERT_CALLBACK_CHANNELS = ("alipay", "wechat", "app", "mini_program")


def _new_keys() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ID_HASH_KEY": secrets.token_urlsafe(32),
        **{f"CERT_CALLBACK_SECRET_{name.upper()}": secrets.token_hex(32) for name in CERT_CALLBACK_CHANNELS},
    }


def ensure_local_keys() -> None:
    """Put SECRET_KEY, FIELD_ENCRYPTION_KEY, ID_HASH_KEY and the CERT_CALLBACK_SECRET_<CHANNEL>
    keys into os.environ unless already set, and
    point DATABASE_URL / REDIS_URL at the embedded servers that `make run` starts under .local/."""
    LOCAL_DIR.mkdir(exist_ok=True)
    os.environ.setdefault("DATABASE_URL", f"postgresql://postgres:@/portal?host={LOCAL_DIR / 'pg'}")
    os.environ.setdefault("REDIS_URL", f"unix://{LOCAL_DIR / 'redis' / 'redis.sock'}")
    if not KEYS_FILE.exists():
        fd = os.open(KEYS_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.writelines(f"{k}={v}\n" for k, v in _new_keys().items())
    present = {line.partition("=")[0] for line in KEYS_FILE.read_text().splitlines()}
    missing = {k: v for k, v in _new_keys().items() if k not in present}
    if missing:  # a key added after the file was first written (e.g. a new channel's secret)
        with KEYS_FILE.open("a") as out:
            out.writelines(f"{k}={v}\n" for k, v in missing.items())
    for line in KEYS_FILE.read_text().splitlines():
        key, _, value = line.partition("=")
        if key:
            os.environ.setdefault(key, value)
