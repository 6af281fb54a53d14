"""A test run's logs hold no identity number and no phone number of the persons it made (issue 19).

Registered by the root conftest.py. For the whole session a handler on the root logger, at DEBUG,
writes every record that reaches it through the production JSON formatter and filters
(portal.core.log_format) into a file under the system's temporary folder: the run's logs as
production would write them. Meanwhile it records the plain identity and phone numbers of every
person written during the run (post_save of accounts.Person; imports, seed_demo's included, which
write in bulk through accounts.imports.bulk_crypto) and of the demo persons. When a run that passed
and ran at least MIN_TESTS tests ends, the file is searched for every recorded number; any found
fails the session, which prints how many of which kind leaked and where the file is (never a
number). Under pytest-xdist (`make check`) each worker scans its own log and the controller adds
them up. Library loggers that set their own level (Django's at INFO) keep it.

Not covered: processes the tests start (gunicorn and Celery in tests/stack, manage.py subprocesses)."""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

MIN_TESTS = 20
ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
PHONE = re.compile(r"1[3-9][0-9]{9}")
_DIGIT_RUNS = re.compile(r"[0-9Xx]{11,}")


class Seeded:
    """The plain numbers written during the run, by kind."""

    def __init__(self) -> None:
        self.id_numbers: set[str] = set()
        self.phones: set[str] = set()

    def add(self, value: str | None) -> None:
        value = (value or "").strip().upper()
        if ID_NUMBER.fullmatch(value):
            self.id_numbers.add(value)
        elif PHONE.fullmatch(value):
            self.phones.add(value)

    def add_all(self, values: Iterable[str | None]) -> None:
        for value in values:
            self.add(value)


def leaks(lines: Iterable[str], seeded: Seeded) -> dict[str, int]:
    """How many distinct seeded numbers of each kind appear in `lines`, also inside longer digit runs."""
    found: dict[str, set[str]] = {"identity numbers": set(), "phone numbers": set()}
    for line in lines:
        for run in _DIGIT_RUNS.findall(line):
            run = run.upper()
            for size, kind, values in (
                (18, "identity numbers", seeded.id_numbers),
                (11, "phone numbers", seeded.phones),
            ):
                for start in range(len(run) - size + 1):
                    if run[start : start + size] in values:
                        found[kind].add(run[start : start + size])
    return {kind: len(values) for kind, values in found.items() if values}


class LogLeakCheck:
    def __init__(self) -> None:
        self.seeded = Seeded()
        self.tests_run = 0
        self.summary = ""
        self.worker_results: list[dict[str, Any]] = []
        self.path: Path | None = None
        self.handler: logging.Handler = logging.NullHandler()

    # --- recording the numbers ---

    def _person_saved(self, sender: Any, instance: Any, **kwargs: Any) -> None:
        self.seeded.add_all([instance.id_number, instance.phone])

    def _watch(self) -> None:
        from django.db.models.signals import post_save

        from accounts.imports.bulk_crypto import BulkEncryptor
        from accounts.models import Person
        from portal.demo import DEMO_PERSONS

        post_save.connect(self._person_saved, sender=Person, weak=False, dispatch_uid="log_leaks")
        self.seeded.add_all(number for _, number, _, phone, *_ in DEMO_PERSONS for number in (number, phone))
        encrypt_all = BulkEncryptor.encrypt_all
        seeded = self.seeded

        def recording_encrypt_all(encryptor: BulkEncryptor, values: list[str]) -> list[str]:
            seeded.add_all(values)
            return encrypt_all(encryptor, values)

        BulkEncryptor.encrypt_all = recording_encrypt_all

    # --- the session's log ---

    def _attach(self) -> None:
        root = logging.getLogger()
        if self.handler in root.handlers:
            return
        for handler in root.handlers:  # the console keeps the level it had
            if handler.level == logging.NOTSET:
                handler.setLevel(root.level)
        root.addHandler(self.handler)
        root.setLevel(logging.DEBUG)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from portal.core.log_format import with_portal_filters

        with tempfile.NamedTemporaryFile(prefix="portal-test-logs-", suffix=".jsonl", delete=False) as file:
            self.path = Path(file.name)
        self.handler = with_portal_filters(logging.FileHandler(self.path, encoding="utf-8"), "json")
        self._watch()
        self._attach()

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._attach()  # again, should a test have configured logging anew

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.tests_run += 1

    def _scan(self) -> tuple[dict[str, int], str]:
        """What this process's log holds, and its file (kept only when something leaked)."""
        if self.path is None:
            return {}, ""
        with self.path.open(encoding="utf-8", errors="replace") as lines:
            found = leaks(lines, self.seeded)
        if not found:
            self.path.unlink(missing_ok=True)
        return found, str(self.path) if found else ""

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """pytest-xdist (`make check`): a worker's scan, added to the controller's."""
        result = getattr(node, "workeroutput", {}).get("portal_log_leaks")
        if result:
            self.worker_results.append(result)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()
        found, path = self._scan()
        result = {"found": found, "paths": [path] if path else [], "ids": len(self.seeded.id_numbers)}
        result["phones"] = len(self.seeded.phones)
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller judges
            workeroutput["portal_log_leaks"] = result
            return
        for other in self.worker_results:
            for kind, count in other["found"].items():
                found[kind] = found.get(kind, 0) + count
            result["paths"] += other["paths"]
            result["ids"] += other["ids"]
            result["phones"] += other["phones"]
        if exitstatus != pytest.ExitCode.OK or self.tests_run < MIN_TESTS:
            for kept in result["paths"]:
                Path(kept).unlink(missing_ok=True)
            return
        sought = f"{result['ids']} identity and {result['phones']} phone numbers sought"
        if not found:
            self.summary = f"no seeded identity or phone number in the run's logs ({sought})"
            return
        what = ", ".join(f"{kind}: {count}" for kind, count in found.items())
        where = " ".join(result["paths"])
        self.summary = f"LOG LEAK: seeded numbers in full in the run's logs ({what}) ({sought}); see {where}"
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.summary:
            leaked = self.summary.startswith("LOG LEAK")
            terminalreporter.write_sep("-", "log leak check", red=leaked, bold=leaked)
            terminalreporter.write_line(self.summary, red=leaked, bold=leaked)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(LogLeakCheck(), "portal-log-leak-check")
