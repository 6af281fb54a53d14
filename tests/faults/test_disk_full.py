"""The disk the uploads go to fills up: an evidence upload is refused with 507 `storage_full` and a
Chinese message, and nothing else is harmed.

MEDIA_ROOT is a 1 MB tmpfs mounted for gunicorn alone: gunicorn starts inside a mount namespace of
its own (`unshare -m`, or `unshare -rm` when not root) whose first act is the mount, so the
machine's mounts are never touched and the tmpfs goes away with gunicorn. The case reaches that
filesystem through /proc/<gunicorn>/root, fills it, and frees it again."""

import contextlib
import errno
import json
import os
import uuid
from pathlib import Path

import pytest
from django_otp.oath import TOTP

from tests.faults.procs import Web, note, python, running

pytestmark = pytest.mark.faults

TMPFS_SIZE = "1m"
LEFT_FREE = 128 * 1024  # what the case leaves free on the full disk: less than the upload
UPLOAD = 512 * 1024


def private_tmpfs(folder: Path) -> list[str]:
    """The command prefix that runs a program with a fresh tmpfs on `folder`, seen by it alone."""
    unshare = (
        ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--mount"]
    )
    script = f'mount -t tmpfs -o size={TMPFS_SIZE},mode=0755 tmpfs "$0" && exec "$@"'
    return [*unshare, "sh", "-c", script, str(folder)]


def png(size: int) -> bytes:
    """A file whose bytes say PNG (the upload check reads the content, not the name)."""
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8)


def multipart(data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="hukou.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def files_under(folder: Path, *, but: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p != but)


def fill(path: Path) -> int:
    """Writes `path` until the filesystem is full, then gives LEFT_FREE bytes back; its size."""
    written = 0
    with path.open("wb", buffering=0) as out:
        try:
            while True:
                written += out.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    os.truncate(path, max(0, written - LEFT_FREE))
    return written


def test_full_upload_disk_refuses_evidence_with_storage_full_and_harms_nothing_else(new_case):
    """Fills: the upload filesystem (a 1 MB tmpfs as MEDIA_ROOT of gunicorn), after one evidence
    upload went through, leaving 128 KB free; then a resident uploads 512 KB of evidence for the
    same binding. That upload is answered 507 `storage_full` with a Chinese message; no file (not
    a partial one, not a temporary one) is added to the upload folder, no evidence row is written,
    the binding keeps its status and its last change time, and the resident's other pages and
    /readyz still answer 200. Once the space is freed, the same upload is accepted."""
    case = new_case("disk_full")
    pg, db = case.pg, case.db
    seeded = json.loads(
        python(
            case.env(STAFF_PASSWORD="Faults-Staff-2026", SMS_FILE_PATH=str(case.folder / "seed-sms.jsonl")),
            "-m",
            "tests.faults.seed",
            "demo",
        ).splitlines()[-1]
    )
    media = case.folder / "media"
    media.mkdir(exist_ok=True)
    binding = seeded["evidence_binding"]
    with running(Web(case.env(), case.folder, wrapper=private_tmpfs(media))) as web:
        web.wait_ready()
        seen = Path(f"/proc/{web.pid}/root") / media.relative_to("/")  # the tmpfs, as gunicorn sees it
        otp = TOTP(bytes.fromhex(seeded["totp_key_hex"]), step=30, digits=6).token()
        status, answer = web.request(
            "POST",
            "/api/v1/auth/token/",
            {"login": seeded["evidence_owner"], "password": seeded["resident_password"], "otp": f"{otp:06d}"},
        )
        assert status == 200, answer
        auth = {"Authorization": f"Bearer {answer['token']}"}

        def upload(data: bytes) -> tuple[int, object]:
            body, content_type = multipart(data)
            return web.request(
                "POST", f"/api/v1/bindings/{binding}/evidence/", body, {**auth, "Content-Type": content_type}
            )

        status, answer = upload(png(20_000))
        assert status == 201, answer
        filler = seen / "filler"
        before_files = files_under(seen, but=filler)
        written = fill(filler)
        state_before = pg.rows(
            db, "SELECT status, updated_at FROM family_sharing_binding WHERE id = %s", [binding]
        )
        evidence_before = pg.value(
            db, "SELECT count(*) FROM family_sharing_evidence WHERE binding_id = %s", [binding]
        )
        free = os.statvfs(seen).f_bavail * os.statvfs(seen).f_frsize
        note(
            f"disk full: filled the upload tmpfs with {written} bytes, gave {LEFT_FREE} back ({free} free); uploading {UPLOAD}"
        )

        status, answer = upload(png(UPLOAD))
        after_files = files_under(seen, but=filler)
        state_after = pg.rows(
            db, "SELECT status, updated_at FROM family_sharing_binding WHERE id = %s", [binding]
        )
        evidence_after = pg.value(
            db, "SELECT count(*) FROM family_sharing_evidence WHERE binding_id = %s", [binding]
        )
        others = {
            path: web.request("GET", path, headers=auth)[0] for path in ("/api/v1/bindings/", "/api/v1/me/")
        }
        ready = web.request("GET", "/readyz")[0]
        note(
            f"disk full: upload answered {status} {answer}; files {before_files} → {after_files}; evidence rows "
            f"{evidence_before} → {evidence_after}; binding {state_before} → {state_after}; other pages {others}, "
            f"/readyz {ready}"
        )
        assert status == 507, answer
        assert (
            answer["error"] == "storage_full"
            and answer["message"] == "存储空间不足，文件没有保存，请稍后再试"
        ), answer
        assert after_files == before_files, f"files left behind: {set(after_files) - set(before_files)}"
        assert (evidence_after, state_after) == (evidence_before, state_before)
        assert others == {"/api/v1/bindings/": 200, "/api/v1/me/": 200} and ready == 200, (others, ready)

        with contextlib.suppress(FileNotFoundError):
            filler.unlink()
        status, answer = upload(png(UPLOAD))
        note(f"disk full: after freeing the space the upload answered {status}")
        assert status == 201, answer
        assert (
            pg.value(db, "SELECT count(*) FROM family_sharing_evidence WHERE binding_id = %s", [binding]) == 2
        )
