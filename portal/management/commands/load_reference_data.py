"""`load_reference_data`: the reference data every installation needs (API.md section 5).

The command only composes: each of our apps (an app whose code lives in this project, not in
site-packages) may have a module `<app>.reference` with

    def load(*, data_dir: pathlib.Path, options: Mapping[str, Any]) -> list[str]

which loads its reference data idempotently and returns one printable line per kind of data.
The loaders run in INSTALLED_APPS order (accounts' regions before family_sharing's policy
defaults) inside one transaction. The data files live in portal/reference/."""

import datetime as dt
import importlib
import importlib.util
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from portal.core.csvimport import CellError, ImportRejected, parse_date

DATA_DIR = Path(__file__).resolve().parents[2] / "reference"


def _date(text: str) -> dt.date:
    try:
        return parse_date(text)
    except CellError as exc:
        raise CommandError(f"{exc.code.value} {exc.code.message}: {text}") from exc


def our_app_labels() -> list[str]:
    """Apps of this project, in INSTALLED_APPS order (third-party apps have no reference hook)."""
    base = Path(settings.BASE_DIR).resolve()
    ours = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and "site-packages" not in path.parts and config.name != "portal":
            ours.append(config.name)
    return ours


class Command(BaseCommand):
    help = (
        "Loads provinces, relation codes (GB/T 4761-2008), a pooling region for every prefecture-level "
        "division and each province's 省本级 (from python-stdnum's division-code table), the "
        "cross-province first batch, and each app's reference data. Idempotent. Dates loaded: see "
        "docs/decisions/0003-reference-dates.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cross-province-from",
            type=_date,
            metavar="YYYY-MM-DD",
            help="date from which the first-batch regions are enabled (default 2025-01-01; "
            "a date already stored for a region is kept)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        loaders = []
        for name in our_app_labels():
            if importlib.util.find_spec(f"{name}.reference") is None:
                continue
            load = getattr(importlib.import_module(f"{name}.reference"), "load", None)
            if callable(load):
                loaders.append((name, load))
        try:
            with transaction.atomic():
                for name, load in loaders:
                    for line in load(data_dir=DATA_DIR, options=options):
                        self.stdout.write(f"{name}: {line}")
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise SystemExit(1) from exc
