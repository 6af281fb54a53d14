"""The upload storage writes whole files or none, and a full disk is the one answer 507
`storage_full` (tests/faults/test_disk_full.py fills a real filesystem under gunicorn)."""

import errno

import pytest
from django.core.files.base import ContentFile, File

from portal.core.errors import ApplicationError
from portal.core.uploads import AtomicFileSystemStorage, refused_when_storage_full


class DiskFillsUp(File):
    """Content whose second chunk meets a full disk, as the write of a large upload would."""

    def __init__(self) -> None:
        super().__init__(None, name="hukou.png")

    def chunks(self, chunk_size=None):
        yield b"\x89PNG\r\n\x1a\n" + b"\0" * 65536
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_saved_file_is_whole_under_its_name_with_nothing_else_beside_it(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    name = storage.save("evidence/2026/12/hukou.png", ContentFile(b"\x89PNG" + b"1" * 70000))
    assert storage.open(name).read() == b"\x89PNG" + b"1" * 70000
    assert [p.name for p in (tmp_path / "evidence/2026/12").iterdir()] == ["hukou.png"]


def test_a_second_file_of_the_same_name_gets_its_own_name(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    first = storage.save("evidence/a.png", ContentFile(b"first"))
    second = storage.save("evidence/a.png", ContentFile(b"second"))
    assert first != second
    assert (storage.open(first).read(), storage.open(second).read()) == (b"first", b"second")


def test_a_disk_full_part_way_leaves_no_file_and_answers_507_storage_full(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    with pytest.raises(ApplicationError) as refused, refused_when_storage_full():
        storage.save("evidence/2026/12/hukou.png", DiskFillsUp())
    assert (refused.value.status, refused.value.code, refused.value.details[0].field) == (
        507,
        "storage_full",
        "file",
    )
    assert refused.value.message == "存储空间不足，文件没有保存，请稍后再试"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_other_storage_errors_are_not_taken_for_a_full_disk():
    with pytest.raises(PermissionError), refused_when_storage_full():
        raise PermissionError(errno.EACCES, "Permission denied")
