"""Secrets kept: the API key is never printed, never left on disk, and only sent to the configured host.

Every run in the reliability files goes through `faultkit.GuardedRunner` (or `BackgroundRead`
followed by its `assert_no_secret`), which fails if any 18-character piece of the long,
distinctive `SECRET_KEY` appears in stdout or stderr: records, state, logs and error messages
included. The tests here add the paths where a key is most likely to escape: error messages about
the key itself, debug logging, a process killed before it could clean up, and redirects.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from braze_sandbox import Sandbox
from integration_tests.faultkit import (
    ANALYTICS,
    SECRET_KEY,
    AuthRecorder,
    BackgroundRead,
    GuardedRunner,
    Redirector,
    assert_no_secret,
)
from integration_tests.harness import ALL_STREAMS, TODAY, configured_catalog, connector_config, start_sandbox

FIRST = TODAY - timedelta(days=29)


@pytest.fixture
def catalog(discovered: dict[str, Any]) -> dict[str, Any]:
    return configured_catalog(discovered, ALL_STREAMS)


@pytest.mark.parametrize(
    "sandbox_key, sent_key, status",
    [
        ("another-key-entirely", SECRET_KEY, "401"),
        (SECRET_KEY[:-8], SECRET_KEY, "401"),  # Braze knows a key the config's key starts with
        (SECRET_KEY, SECRET_KEY + "-no-data-series", "403"),
    ],
    ids=["unknown key", "key with extra characters", "key lacking a permission"],
)
def test_given_a_key_braze_refuses_when_checking_and_reading_then_no_error_message_repeats_it(
    sandbox_key: str, sent_key: str, status: str, runner: GuardedRunner, catalog: dict[str, Any]
) -> None:
    sandbox = start_sandbox(campaigns=16, days=120, api_key=sandbox_key)
    try:
        config = connector_config(sandbox, FIRST, api_key=sent_key)
        check = runner.run("check", config=config)
        read = runner.read(config, catalog)
        assert status in sandbox.stats()["responses_by_status"], "Braze never refused the key: test nothing"
    finally:
        sandbox.stop()
    assert check.connection_status["status"] == "FAILED"
    assert read.returncode != 0 and read.errors
    assert all(error["failure_type"] == "config_error" for error in read.errors), read.errors
    for run in (check, read):  # GuardedRunner checked the secret key; the key actually sent too
        assert_no_secret(run, key=sent_key)


def test_given_debug_logging_when_reading_every_stream_then_no_request_log_shows_the_key(
    secret_braze: Sandbox, runner: GuardedRunner, catalog: dict[str, Any]
) -> None:
    config = connector_config(secret_braze, FIRST, api_key=SECRET_KEY)
    background = BackgroundRead(runner, config, catalog, extra_args=("--debug",))

    assert background.wait(timeout=300) == 0
    run = background.result()
    # With --debug the CDK prints every outbound request with its headers, Authorization included.
    requests_logged = [m for m in run.of_type("DEBUG") if "Authorization" in str(m.get("data"))]
    assert requests_logged, "no request was logged with its headers: test nothing"
    assert set(run.record_counts()) == set(ALL_STREAMS)
    background.assert_no_secret()


def test_given_a_sync_killed_with_sigkill_when_it_dies_then_it_leaves_no_file_in_its_temporary_folder(
    secret_braze: Sandbox, runner: GuardedRunner, catalog: dict[str, Any]
) -> None:
    # A killed process cannot clean up its temporary folder, as an out-of-memory kill leaves it on the
    # node: it must leave nothing there (the responses streams share are in a file unlinked as it is
    # made, shared_responses.py; the CDK's SQLite cache is not used), least of all the key.
    secret_braze.config.latency_ms = 100
    try:
        config = connector_config(secret_braze, FIRST, api_key=SECRET_KEY, num_workers=1)
        background = BackgroundRead(runner, config, catalog)
        assert background.wait_until(lambda seen: Counter(m["type"] for m in seen)["RECORD"] >= 50, timeout=120)
        background.kill()
        background.wait()
    finally:
        secret_braze.config.latency_ms = 0
    assert [path.name for path in background.tmpdir.rglob("*") if path.is_file()] == []
    background.assert_no_secret()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"], ids=["another host name", "the same host, another port"])
def test_given_braze_redirects_to_another_host_when_checking_and_reading_then_the_key_is_not_sent_there(
    host: str, runner: GuardedRunner, discovered: dict[str, Any]
) -> None:
    # requests keeps the Authorization header on a redirect only to the same scheme, host and port;
    # "localhost" and "127.0.0.1" are different hosts to it, as another port on the same host is.
    elsewhere = AuthRecorder()
    braze = Redirector(f"http://{host}:{elsewhere.port}")
    config = {"url": braze.url, "api_key": SECRET_KEY, "start_date": FIRST.isoformat(), "end_date": TODAY.isoformat()}
    try:
        check = runner.run("check", config=config)
        read = runner.read(config, configured_catalog(discovered, [ANALYTICS]))
    finally:
        braze.stop()
        elsewhere.stop()
    assert elsewhere.received, "the redirect was not followed: test nothing"
    leaked = [request for request in elsewhere.received if SECRET_KEY in (request["authorization"] or "")]
    assert not leaked, f"the key went to {host}:{elsewhere.port} with {leaked[0]['path']}"
    assert check.connection_status["status"] == "FAILED"
    assert read.returncode != 0 and read.errors
