"""The CSV side of every bulk import command (API.md section 5).

Files are UTF-8, a BOM is accepted, the first line is a header that must name exactly the expected
columns, line numbers count the header as line 1, surrounding spaces in a cell are ignored, booleans
are true/false, 1/0 or yes/no (empty means false), dates are YYYY-MM-DD. An importer validates every
row, collects a `RowError` for each problem of each row, and raises `ImportRejected` with all of
them: its transaction rolls back and nothing is stored. `CsvImportCommand` is the thin command around
such a service: `line N: <code> <message>` on stderr for every bad row and exit status 1, or a
one-line summary on stdout."""

import csv
import datetime as dt
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.core.errors import ErrorCode


class CsvError(ErrorCode):
    """Problems any import can have; the codes are the same as in the apps' own enums."""

    COLUMNS = "columns", "表头与约定的列不一致"
    ENCODING = "encoding", "文件不是UTF-8编码，无法读取"
    BOOLEAN_FORMAT = "boolean_format", "应填写 true/false、1/0 或 yes/no"
    DATE_FORMAT = "date_format", "日期格式应为 YYYY-MM-DD"


@dataclass(frozen=True)
class RowError:
    line: int
    code: str
    message: str

    @classmethod
    def of(cls, line: int, error: ErrorCode, detail: str = "") -> "RowError":
        return cls(line, error.value, f"{error.message}{detail}")

    def __str__(self) -> str:
        return f"line {self.line}: {self.code} {self.message}"


class ImportRejected(Exception):
    """Some rows are invalid: nothing was imported. `errors` are ordered by line."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = sorted(errors, key=lambda e: e.line)  # stable: a row's own order is kept
        super().__init__(f"{len(self.errors)} problem(s) in the file")


class CellError(ValueError):
    """One cell does not parse; `code` says why."""

    def __init__(self, code: ErrorCode) -> None:
        self.code = code
        super().__init__(code.value)


_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})


def parse_bool(text: str) -> bool:
    value = text.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CellError(CsvError.BOOLEAN_FORMAT)


_dates: dict[str, dt.date] = {}


def parse_date(text: str) -> dt.date:
    """Exactly YYYY-MM-DD (fromisoformat alone would also take 20240101 or 2024-W01-1)."""
    day = _dates.get(text)
    if day is not None:
        return day
    if len(text) != 10 or text[4] != "-" or text[7] != "-" or not (text[:4] + text[5:7] + text[8:]).isdigit():
        raise CellError(CsvError.DATE_FORMAT)
    try:
        day = dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError as exc:
        raise CellError(CsvError.DATE_FORMAT) from exc
    if len(_dates) < 100_000:  # a bounded memo: files repeat the same few thousand dates
        _dates[text] = day
    return day


def parse_optional_date(text: str) -> dt.date | None:
    return parse_date(text) if text else None


class CsvReader:
    """Streams the rows of one import file as (line number, stripped cells), one row in memory at
    a time. Problems of the file's shape (header, a row with the wrong number of cells, bytes that
    are not UTF-8) are collected in `errors`; such rows are not yielded."""

    def __init__(self, path: Path | str, columns: Sequence[str]) -> None:
        self.path = Path(path)
        self.columns = tuple(columns)
        self.errors: list[RowError] = []
        self.rows_read = 0

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            yield from self._rows(handle)

    def _rows(self, handle: TextIO) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(handle, strict=True)
        width = len(self.columns)
        last_line = 0
        try:
            header = next(reader, None)
            if header is None or tuple(c.strip() for c in header) != self.columns:
                got = ",".join(header or [])
                self.errors.append(
                    RowError.of(1, CsvError.COLUMNS, f"（应为 {','.join(self.columns)}，实为 {got}）")
                )
                return
            last_line = reader.line_num
            for cells in reader:
                line, last_line = last_line + 1, reader.line_num  # a quoted cell may span lines
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue  # blank lines are ignored
                self.rows_read += 1
                if len(cells) != width:
                    message = f"本行有 {len(cells)} 列，与表头的 {width} 列不一致"
                    self.errors.append(RowError(line, CsvError.COLUMNS.value, message))
                    continue
                yield line, [c.strip() for c in cells]
        except UnicodeDecodeError:
            self.errors.append(RowError.of(last_line + 1, CsvError.ENCODING))
        except csv.Error as exc:
            self.errors.append(RowError.of(last_line + 1, CsvError.COLUMNS, f"（{exc}）"))


@dataclass(frozen=True)
class ImportResult:
    """What one import did (or, in a dry run, would have done)."""

    rows_read: int
    inserted: int
    updated: int
    unchanged: int
    seconds: float
    dry_run: bool = False
    extra: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [
            f"rows read {self.rows_read}",
            f"inserted {self.inserted}",
            f"updated {self.updated}",
            f"unchanged {self.unchanged}",
            *(f"{name} {count}" for name, count in self.extra.items()),
            f"seconds {self.seconds:.2f}",
        ]
        prefix = "dry run, nothing stored: " if self.dry_run else ""
        return prefix + ", ".join(parts)


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


class CsvImportCommand(BaseCommand):
    """`<command> FILE.csv [--dry-run]`: subclasses implement `run_import` by calling one service."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="UTF-8 CSV file with a header row (a BOM is accepted)")
        parser.add_argument("--dry-run", action="store_true", help="validate only; store nothing")

    def run_import(self, *, path: Path, dry_run: bool, options: dict[str, Any]) -> ImportResult:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"file not found: {path}")
        try:
            result = self.run_import(path=path, dry_run=options["dry_run"], options=options)
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            # Exit status 1 with nothing else on stderr (API.md section 5). SystemExit rather than
            # CommandError, which would add a "CommandError: ..." line of its own.
            raise SystemExit(1) from exc
        self.stdout.write(result.summary())
