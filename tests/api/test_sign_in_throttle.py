"""Sign-in throttling per name and source (``runtime.throttle``, on ``limits``): an exponential
delay that says nothing about which names exist and that a flood from one address cannot turn
into a lockout of the real user elsewhere; over the API and the sign-in form, on SQLite and
PostgreSQL."""

from __future__ import annotations

import math
import re
import shutil
import socket
import subprocess
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import extract_parameters
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from cordon.api import create_app
from cordon.api.settings import ServiceSettings
from cordon.domain.roles import UserRole
from cordon.errors import TooManyAttempts
from cordon.runtime import throttle as throttle_module
from cordon.runtime.throttle import LADDERS, Ladder, SignInThrottle, throttle_url
from cordon.services import accounts
from cordon.store.account_models import UserRow
from cordon.store.db import Store
from cordon.store.models import AuditRow
from tests.api.conftest import PASSWORD, ROOT
from tests.support.throttle import FakeClock, hold_the_clock, hold_the_throttle

LOGIN = "/api/v1/auth/login"
ATTACKER = ("10.1.0.7", 40000)
COLLEAGUE = ("10.1.0.8", 40001)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The clock of ``limits``' memory storage, under the test's control."""
    return hold_the_clock(monkeypatch)


SMALL = {
    "name+source": Ladder(free=2, base=4, steps=3),
    "source": Ladder(free=3, base=4, steps=2),
    "name": Ladder(free=3, base=6, steps=2),
}


class Model:
    """The throttle's rule written out: per key and step k a window of ``base * 2**k`` seconds
    holding at most ``free + k`` failures (a failure is kept in a window only while it has room);
    a try waits until every full window has room again."""

    def __init__(self, ladders: dict[str, Ladder]) -> None:
        self.ladders = ladders
        self.kept: dict[tuple[str, tuple[str, ...], int], list[float]] = {}

    def _windows(self, name: str, source: str) -> Iterator[tuple[tuple[str, ...], int, int, str]]:
        ids = {
            "name+source": (name.casefold(), source),
            "source": (source,),
            "name": (name.casefold(),),
        }
        for key, ladder in self.ladders.items():
            for k in range(ladder.steps + 1):
                yield ids[key], ladder.free + k, ladder.base * 2**k, key

    def wait(self, name: str, source: str, now: float) -> float:
        wait = 0.0
        for ids, cap, window, key in self._windows(name, source):
            inside = [t for t in self.kept.get((key, ids, window), []) if t >= now - window]
            if len(inside) >= cap:
                wait = max(wait, min(inside) + window - now)
        return wait

    def fail(self, name: str, source: str, now: float) -> None:
        for ids, cap, window, key in self._windows(name, source):
            kept = self.kept.setdefault((key, ids, window), [])
            if sum(t >= now - window for t in kept) < cap:
                kept.append(now)

    def succeed(self, name: str, source: str) -> None:
        for ids, _cap, window, key in self._windows(name, source):
            if key == "name+source":
                self.kept.pop((key, ids, window), None)


def paused_for(throttle: SignInThrottle, name: str, source: str) -> int:
    """The seconds ``throttle`` makes ``name`` from ``source`` wait (0: not paused)."""
    try:
        throttle.check(name, source)
    except TooManyAttempts as paused:
        return paused.retry_after
    return 0


TRIES = st.lists(
    st.tuples(
        st.integers(0, 40),  # whole seconds since the last try (plus 1/1024: no ties)
        st.sampled_from(["Ann", "ann", "bob"]),
        st.sampled_from(["10.0.0.1", "10.0.0.2"]),
        st.booleans(),  # whether the try (when allowed) succeeds
    ),
    max_size=60,
)


def test_the_throttle_pauses_exactly_as_its_windows_say(clock: FakeClock) -> None:
    """Hypothesis: any sequence of tries on a few names and addresses is paused (and for as
    long) exactly as the brute-force model of the windows says."""
    throttle = SignInThrottle(ladders=SMALL, clock=clock.time)

    @given(tries=TRIES)
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    def run(tries: list[tuple[int, str, str, bool]]) -> None:
        throttle.storage.reset()
        model = Model(SMALL)
        for gap, name, source, succeeds in tries:
            clock.now += gap + 1 / 1024
            expected = model.wait(name, source, clock.now)
            wait = paused_for(throttle, name, source)
            assert wait == (max(1, math.ceil(expected)) if expected > 0 else 0), (name, source)
            if wait:
                continue
            if succeeds:
                throttle.succeeded(name, source)
                model.succeed(name, source)
            else:
                throttle.failed(name, source)
                model.fail(name, source, clock.now)

    run()


def test_the_delay_doubles_with_each_failure_up_to_its_cap(clock: FakeClock) -> None:
    """Failures in a row from one address: ``free`` without delay, then 30 s, 60 s, ... doubling
    to the last step, waited out each time."""
    throttle = SignInThrottle(clock=clock.time)
    ladder = LADDERS["name+source"]
    waits = []
    for _ in range(ladder.free + ladder.steps + 3):
        wait = paused_for(throttle, "drlee", "10.0.0.9")
        waits.append(wait)
        clock.now += wait
        assert paused_for(throttle, "drlee", "10.0.0.9") == 0  # waited out: allowed again
        throttle.failed("drlee", "10.0.0.9")
        clock.now += 1 / 1024
    assert waits[: ladder.free] == [0] * ladder.free
    paused = waits[ladder.free :]
    assert paused[0] == 30
    # from a burst: each wait is the previous doubled, less the time already waited for it
    assert paused[1:4] == [30, 60, 120]
    assert sum(paused) <= 30 * 2**ladder.steps  # capped: the longest window
    assert max(paused) == 30 * 2 ** (ladder.steps - 1)


def test_the_delay_of_a_burst_is_the_closed_form() -> None:
    for ladder in LADDERS.values():
        for failures in range(ladder.free + ladder.steps + 3):
            throttle = SignInThrottle(
                ladders={"name+source": ladder, "source": ladder, "name": ladder}
            )
            for _ in range(failures):
                throttle.failed("x", "y")
            expected = (
                0
                if failures < ladder.free
                else ladder.base * 2 ** min(failures - ladder.free, ladder.steps)
            )
            wait = paused_for(throttle, "x", "y")
            assert expected - 2 <= wait <= expected if expected else wait == 0
            assert ladder.delay(failures) == expected


@pytest.fixture
def signed_up(store: Store) -> Store:
    """An empty store (SQLite and PostgreSQL) with one medical user who has a password."""
    with store.session() as session:
        accounts.add_user(session, "drlee", role=UserRole.MEDICAL, password=PASSWORD, actor=ROOT)
    return store


def _user_row(store: Store) -> tuple[object, ...]:
    with store.session() as session:
        row = session.scalars(select(UserRow).where(UserRow.name == "drlee")).one()
        return (row.failed_logins, row.locked_until, row.password_hash, row.last_login_at)


def _failed_audits(store: Store) -> Counter[str]:
    with store.session() as session:
        rows = session.scalars(select(AuditRow).where(AuditRow.action == "login_failed"))
        return Counter(r.entity_id for r in rows)


def test_twenty_failures_answer_alike_for_a_real_and_an_unknown_name_and_the_user_signs_in_from_elsewhere(  # noqa: E501
    signed_up: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: Counter[str] = Counter()
    verify = accounts._verify

    def counting(stored: str, password: str) -> bool:
        hashed["dummy" if stored == accounts.DUMMY_HASH else "stored"] += 1
        return verify(stored, password)

    monkeypatch.setattr(accounts, "_verify", counting)
    before = _user_row(signed_up)
    app = create_app(ServiceSettings(database_url=signed_up.url), store=signed_up)
    hold_the_throttle(app, monkeypatch)
    base = "https://testserver"
    with (
        TestClient(app, base_url=base, client=ATTACKER) as attacker,
        TestClient(app, base_url=base, client=COLLEAGUE) as colleague,
    ):
        statuses = []
        for i in range(20):
            guess = {"password": f"guess number {i} of many"}
            real = attacker.post(LOGIN, json={"name": "drlee", **guess})
            ghost = attacker.post(LOGIN, json={"name": "nobody", **guess})
            assert (real.status_code, real.json()) == (ghost.status_code, ghost.json())
            assert "set-cookie" not in real.headers and "set-cookie" not in ghost.headers
            assert ("retry-after" in real.headers) == ("retry-after" in ghost.headers)
            statuses.append(real.status_code)
        free = LADDERS["name+source"].free
        assert statuses == [401] * free + [429] * (20 - free)
        assert real.headers["retry-after"] == ghost.headers["retry-after"]
        assert real.json() == {"detail": throttle_module.MESSAGE}
        # only the tries let through were hashed, and as many for the unknown name as the real
        assert hashed == {"stored": free, "dummy": free}
        # the paused address cannot sign in even with the password; the colleague's can
        assert attacker.post(LOGIN, json={"name": "drlee", "password": PASSWORD}).status_code == 429
        ok = colleague.post(LOGIN, json={"name": "drlee", "password": PASSWORD})
        assert ok.status_code == 200, ok.text
        assert ok.json()["name"] == "drlee" and "cordon_session" in ok.headers["set-cookie"]
    # no count in the store tells the accounts apart: the user's row is as it was
    assert _user_row(signed_up)[:3] == before[:3]
    assert _failed_audits(signed_up) == {"drlee": free, "nobody": free}


def _form_login(client: TestClient, name: str, password: str) -> tuple[int, str]:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={"name": name, "password": password, "csrf": csrf.group(1)},
        follow_redirects=False,
    )
    error = re.search(r'<p class="error" role="alert">(.*?)</p>', answer.text)
    return answer.status_code, error.group(1) if error else ""


def test_the_sign_in_form_answers_alike_and_lets_the_real_user_in_from_elsewhere(
    signed_up: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(ServiceSettings(database_url=signed_up.url), store=signed_up)
    hold_the_throttle(app, monkeypatch)
    base = "https://testserver"
    with (
        TestClient(app, base_url=base, client=ATTACKER) as attacker,
        TestClient(app, base_url=base, client=COLLEAGUE) as colleague,
    ):
        answers = []
        for i in range(20):
            real = _form_login(attacker, "drlee", f"guess number {i} of many")
            ghost = _form_login(attacker, "nobody", f"guess number {i} of many")
            assert real == ghost
            answers.append(real)
        free = LADDERS["name+source"].free
        assert answers[:free] == [(401, accounts.WRONG)] * free
        assert set(answers[free:]) == {(429, throttle_module.MESSAGE)}
        assert _form_login(attacker, "drlee", PASSWORD)[0] == 429
        assert _form_login(colleague, "drlee", PASSWORD) == (303, "")
        assert colleague.get("/", follow_redirects=False).status_code == 200


def test_the_dummy_hash_costs_what_a_stored_hash_costs() -> None:
    """An unknown name is checked against a hash made with the hasher's own parameters."""
    dummy = extract_parameters(accounts.DUMMY_HASH)
    made = extract_parameters(accounts._hash("a password made only for this test 7"))
    assert dummy == made


def test_importing_accounts_computes_no_hash() -> None:
    """``cordon --help`` stays fast: no Argon2 hash (64 MiB, about 0.1 s) and no word list at
    import."""
    code = (
        "import argon2, time\n"
        "calls = []\n"
        "real = argon2.PasswordHasher.hash\n"
        "argon2.PasswordHasher.hash = lambda s, *a, **k: calls.append(1) or real(s, *a, **k)\n"
        "import sys\n"
        "import cordon.services.accounts, cordon.api.app, cordon.cli\n"
        "assert not calls, 'a hash at import'\n"
        "assert 'zxcvbn' not in sys.modules, 'zxcvbn at import'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        executable=None,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_storage_is_the_setting_else_the_queues_redis_else_memory() -> None:
    assert throttle_url("redis://r:6379/2", "redis://q:6379/0") == "redis://r:6379/2"
    assert throttle_url(None, "redis://q:6379/0") == "redis://q:6379/0"
    assert throttle_url(None, "rediss://q:6380/0") == "rediss://q:6380/0"
    assert throttle_url(None, None) == "memory://"
    assert throttle_url(None, "immediate") == "memory://"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A private redis-server on a free loopback port, stopped afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_redis_counts_are_shared_by_every_process_and_memory_counts_are_not(
    redis_url: str,
) -> None:
    """Two throttles stand for two web processes: on Redis a failure counted by one pauses the
    other; in memory each counts its own (what SECURITY.md says of ``memory://``)."""
    free = LADDERS["name+source"].free
    one, two = SignInThrottle(redis_url), SignInThrottle(redis_url)
    for _ in range(free):
        one.failed("drlee", "10.0.0.5")
    with pytest.raises(TooManyAttempts):
        two.check("drlee", "10.0.0.5")
    two.check("drlee", "10.0.0.6")  # another address is not paused
    alone, other = SignInThrottle("memory://"), SignInThrottle("memory://")
    for _ in range(free):
        alone.failed("drlee", "10.0.0.5")
    with pytest.raises(TooManyAttempts):
        alone.check("drlee", "10.0.0.5")
    other.check("drlee", "10.0.0.5")


def test_sign_in_answers_503_when_the_redis_counts_are_away(signed_up: Store) -> None:
    """Closed, not open: without its counts the throttle cannot say a try may go ahead."""
    settings = ServiceSettings(database_url=signed_up.url, rate_limit_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(settings, store=signed_up), base_url="https://testserver") as c:
        answer = c.post(LOGIN, json={"name": "drlee", "password": PASSWORD})
    assert answer.status_code == 503
    assert answer.json() == {"detail": "store unavailable"}
