"""Shared fixtures: the state database on both of its backends and its connections, closed when
each test ends (every test fails that leaves one open), Spark, and the Slack tests' workspace,
fixture org and running bot (a module may override any of them by name)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cache.snapshot import SnapshotReader
from tests import slack_harness as H
from tests.fixture_org import load_fixture_org
from tests.pg_server import PgServer
from tests.slack_driver import SlackDriver
from tests.slack_emulator import SlackEmulator
from tests.state_connections import Opener, left_open

# The longest modules, longest first (wall seconds of a loaded run's --durations; on a quiet
# machine the Spark conformance is ~156 s, the rest 10-20 s each). `make test` starts them first
# (pyproject's --no-loadscope-reorder keeps this order; xdist would otherwise run the modules
# with most tests first, leaving these few-test ones to the end, where the Spark conformance ran
# alone on one worker for minutes while the other was idle). test_lake.py third: xdist gives
# the worker holding the first module the third as well, so it reuses that worker's Spark session
# instead of starting a second JVM.
LONGEST_FIRST = (
    "tests/test_engine_conformance.py",
    "tests/test_comparisons.py",
    "tests/test_lake.py",
    "tests/test_cli_languages.py",
    "tests/test_cli_phrasing.py",
    "tests/test_sources.py",
    "tests/test_rows.py",
    "tests/test_cli_ask.py",
    "tests/test_slack_gate.py",
    "tests/test_sync_replicas.py",
    "tests/test_state_replicas.py",
    "tests/test_boards_real.py",
    "tests/test_rows_slack.py",
    "tests/test_host_zones.py",
    "tests/test_records_begin.py",
    "tests/test_serve_sync.py",
    "tests/test_concurrency.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules of LONGEST_FIRST ahead of the rest; the order inside each module is kept (module
    fixtures depend on it)."""
    rank = {m: i for i, m in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server per test process (each xdist worker starts its own: ~1-2 s)."""
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """``state_database:`` for app.yaml: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "state.sqlite")
    server: PgServer = request.getfixturevalue("pg_server")
    return server.fresh_database()


@pytest.fixture
def open_state() -> Iterator[Opener]:
    """``open_state(location)``: the state database at ``location`` (``open_state_db``), its
    connection closed when the test ends."""
    opener = Opener()
    yield opener
    opener.close_all()


@pytest.fixture(autouse=True)
def no_state_connection_left_open() -> Iterator[None]:
    """Fail a test that drops a state database connection without closing it (found by its
    ResourceWarning, at once or in the garbage collection after the test): else the collector
    finalises it in some later test, where the warning breaks a check that warnings fail."""
    with left_open() as dropped:
        yield
    if dropped:
        pytest.fail(
            "state database connection left open (close it, or open it with the open_state"
            " fixture): " + "; ".join(dropped),
            pytrace=False,
        )


@pytest.fixture(scope="session")
def spark_session() -> Iterator[object]:
    """One local Spark session per test process (2 threads, 2 shuffle partitions, no UI, a
    small driver, the JVM's quick compiler): the engine tests share it. pyspark must start; a
    failure fails the tests."""
    from metrics.spark import spark_session as start

    session = start(
        "local[2]",
        {
            "spark.driver.memory": "512m",
            "spark.sql.adaptive.enabled": "false",  # tiny data: planning would cost more
            "spark.default.parallelism": "2",
            "spark.sql.autoBroadcastJoinThreshold": "10485760",
            # The JVM's quick compiler only: the tests' JVM lives minutes, and the optimising
            # one spent more CPU compiling than it saved (the engine tests' Spark CPU 38 → 23 s
            # for 60 conformance questions, session start 15 → 9 s). Results do not depend on it.
            "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
            # Interpreted, not generated, code: each of the ~600 test questions is planned once
            # on a few hundred rows, where compiling Java for it costs more than running it (the
            # conformance test 122 → 83 s alone). Results do not depend on it (Spark runs both).
            "spark.sql.codegen.wholeStage": "false",
            "spark.sql.codegen.factoryMode": "NO_CODEGEN",
        },
    )
    try:
        yield session
    finally:
        session.stop()  # type: ignore[attr-defined]


# ---- the hand-made fixture org, read in-process ----


@pytest.fixture(scope="module")
def fixture_reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnapshotReader]:
    """A reader of the fixture org's snapshot (tests/fixture_org.py), one per test module."""
    db = tmp_path_factory.mktemp("org") / "kpibot.duckdb"
    load_fixture_org(db)
    reader = SnapshotReader(db)
    yield reader
    reader.close()


# ---- Slack: one emulator, fixture org and `kpibot serve` per test module ----


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackEmulator]:
    """A running Slack emulator holding the seeded test workspace (tests/slack_harness.py)."""
    with H.workspace() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def org_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A work folder holding the hand-made fixture org's cache (tests/fixture_org.py)."""
    return H.fixture_org_dir(tmp_path_factory.mktemp("org"))


@pytest.fixture(scope="module")
def bot(slack: SlackEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[H.Bot]:
    """`kpibot serve` on the fixed test backend (tests/slack_backend.py)."""
    with H.running_bot(slack, tmp_path_factory.mktemp("bot")) as b:
        yield b


@pytest.fixture(scope="module")
def real_bot(slack: SlackEmulator, org_dir: Path) -> Iterator[H.Bot]:
    """`kpibot serve` on the REAL engine over the fixture org; a module whose tests all run on
    it overrides ``bot`` with this one."""
    with H.fixture_org_bot(slack, org_dir) as b:
        yield b


@pytest.fixture
def drv(bot: H.Bot, slack: SlackEmulator) -> SlackDriver:
    """Signed requests to ``bot``, on a fresh workspace, call log and faults for every test."""
    slack.settle()  # the previous test's late uploads must not land in this one's log
    H.seed(slack)
    return H.driver(bot)
