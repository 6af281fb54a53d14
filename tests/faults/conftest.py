"""The fault suite's servers: one private PostgreSQL and one private Redis for the session, which the
cases may kill and restart, and a database migrated once (`migrate` + `load_reference_data`) that
every case copies (`CREATE DATABASE … TEMPLATE`) so it starts from a clean state of its own.

Nothing here touches the machine's servers on 5432/6379 or the pytest-django test database: the
cases talk to their processes over HTTP, Redis and psycopg."""

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis as redis_py

from tests.faults.procs import Postgres, Redis, manage, note, portal_env
from tests.faults.sweep_checks import SweepPopulation, build_population

TEMPLATE = "faults_template"


@dataclass
class Servers:
    folder: Path
    pg: Postgres
    redis: Redis


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    # Not pytest's tmp_path: PostgreSQL runs as another user, who must reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="portal-faults-"))
    folder.chmod(0o755)
    pg_folder, redis_folder = folder / "pg", folder / "redis"
    pg_folder.mkdir()
    redis_folder.mkdir()
    pg, redis = Postgres(pg_folder), Redis(redis_folder)
    try:
        pg.init()
        pg.start()
        redis.start()
        note(f"private PostgreSQL ({pg.bindir}) on port {pg.port}, Redis on port {redis.port}, in {folder}")
        pg.create_database(TEMPLATE)
        env = portal_env(database_url=pg.url(TEMPLATE), redis_url=redis.url(15), folder=folder)
        manage(env, "migrate", "--noinput", "-v", "0", timeout=600)
        manage(env, "load_reference_data")
        note("template database migrated, reference data loaded")
        yield Servers(folder, pg, redis)
    finally:
        redis.stop()
        with contextlib.suppress(RuntimeError):  # a cluster that never started has nothing to stop
            pg.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Case:
    """One case's database (a copy of the migrated template), Redis database and folder."""

    servers: Servers
    db: str
    redis_db: int
    folder: Path

    @property
    def pg(self) -> Postgres:
        return self.servers.pg

    @property
    def redis(self) -> Redis:
        return self.servers.redis

    def env(self, **extra: str) -> dict[str, str]:
        return portal_env(
            database_url=self.pg.url(self.db),
            redis_url=self.redis.url(self.redis_db),
            folder=self.folder,
            **extra,
        )


_redis_dbs = iter(range(1, 15))


@pytest.fixture
def new_case(servers: Servers, request: pytest.FixtureRequest) -> Callable[..., Case]:
    """new_case(name, template=TEMPLATE) → a fresh database copied from the template, a Redis
    database of its own (flushed) and a folder for its logs, SMS file and uploads."""

    def make(name: str, template: str = TEMPLATE) -> Case:
        db = f"faults_{name}"
        servers.pg.create_database(db, template=template)
        folder = servers.folder / name
        folder.mkdir(exist_ok=True)
        case = Case(servers, db, next(_redis_dbs), folder)
        redis_py.Redis(host="127.0.0.1", port=servers.redis.port, db=case.redis_db).flushdb()
        return case

    return make


@pytest.fixture(scope="session")
def sweep_population(servers: Servers) -> SweepPopulation:
    """100,000 persons × 12 months in 4 regions (a template database) and a clean sweep's result."""

    def env(db: str) -> dict[str, str]:
        # Redis database 15: the clean run's notification tasks are queued where no worker listens.
        return portal_env(
            database_url=servers.pg.url(db), redis_url=servers.redis.url(15), folder=servers.folder
        )

    return build_population(servers.pg, env, TEMPLATE)
