import json

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crucible_core import logging as clog
from crucible_core.redaction import (
    REDACTED,
    _redact_matches,
    may_contain_secret,
    redact,
    redact_text,
    register_secret,
    secrets_version,
)


def test_redacts_secret_keys_recursively():
    value = {
        "headers": {"Authorization": "Bearer abcdefghijk", "X-Api-Key": "k123456"},
        "config": [{"api_key": "whatever"}, {"password": "hunter2"}],
        "model": "gpt-4o",
        "token_count": 5,
    }
    out = redact(value)
    assert out["headers"] == {"Authorization": REDACTED, "X-Api-Key": REDACTED}
    assert out["config"] == [{"api_key": REDACTED}, {"password": REDACTED}]
    assert out["model"] == "gpt-4o" and out["token_count"] == 5
    assert value["headers"]["Authorization"].startswith("Bearer")  # input untouched


def test_redacts_tokens_in_text():
    text = (
        "keys: sk-proj-ABCDEFGHIJKLMNOPqrstuv and tml-abcdefghijklmnop and hf_abcdefghijklmnopqrstuvwx "
        "auth Bearer eyJhbGciOi.payload.sig url postgresql://user:s3cret@db:5432/x"
    )
    out = redact_text(text)
    for secret in [
        "sk-proj-ABCDEFGHIJKLMNOPqrstuv",
        "tml-abcdefghijklmnop",
        "hf_abcdefghijklmnopqrstuvwx",
        "eyJhbGciOi",
        "s3cret",
    ]:
        assert secret not in out
    assert "postgresql://user:[REDACTED]@db:5432/x" in out


def test_registered_secret_is_redacted_anywhere():
    register_secret("custom-key-value-123")
    assert redact({"note": "x custom-key-value-123 y"}) == {"note": f"x {REDACTED} y"}
    register_secret("abc")  # too short to register: ordinary words must survive
    assert redact_text("abc") == "abc"


def test_logger_redacts_even_unconfigured():
    with structlog.testing.capture_logs() as logs:
        log = clog.get_logger("crucible.test")
        log.info(
            "calling with sk-abcdefghijklmnopqrstuvwxyz", api_key="sk-zzzzzzzzzzzzzzzzzzzz", url="http://h"
        )
        log.bind(token="tml-abcdefghijklmnopq").warning("bound")
    dumped = json.dumps(logs)
    assert "sk-abc" not in dumped and "sk-zzz" not in dumped and "tml-abc" not in dumped
    assert logs[0]["url"] == "http://h"


def test_configure_logging_json(capsys):
    clog.configure_logging("debug", json=True)
    try:
        clog.get_logger("x").info("hello", password="p@ss", n=1)
        err = capsys.readouterr().err
        line = json.loads(err.strip().splitlines()[-1])
        assert line["password"] == REDACTED and line["n"] == 1 and line["event"] == "hello"
    finally:
        structlog.reset_defaults()


def test_configure_logging_bad_level():
    from crucible_core.errors import ValidationError

    with pytest.raises(ValidationError, match="level"):
        clog.configure_logging("loud")


def test_unconfigured_logs_follow_stdlib_logging_and_stay_redacted(caplog):
    import logging

    structlog.reset_defaults()
    assert not structlog.is_configured()
    log = clog.get_logger("crucible_core.test_stdlib")
    with caplog.at_level(logging.INFO, logger="crucible_core.test_stdlib"):
        log.info("download", url="http://u:pw123456@host/x", token="tml-abcdefghijklmnopq")
        log.debug("hidden below INFO")
    records = [r for r in caplog.records if r.name == "crucible_core.test_stdlib"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert "download" in message and "pw123456" not in message and "tml-abc" not in message
    # Without any configuration, INFO lines are not printed (stdlib's default level is WARNING).
    assert logging.getLogger("crucible_core.test_stdlib").getEffectiveLevel() == logging.WARNING


SECRET_SAMPLES = [
    "sk-" + "a" * 20,
    "sk-ant-" + "B" * 20,
    "tml-" + "c" * 14,
    "hf_" + "d" * 24,
    "ghp_" + "e" * 36,
    "github_pat_" + "f" * 40,
    "AKIA" + "G" * 16,
    "xoxb-" + "1" * 12,
    "AIza" + "h" * 35,
    "Bearer abcdefghij",
    "bearer abcdefghij",
    "BEARER abcdefghij",
    "https://user:password@host/path",
]


@pytest.mark.parametrize("secret", SECRET_SAMPLES)
def test_prefilter_flags_every_redaction_pattern(secret):
    text = f"prefix {secret} suffix"
    assert may_contain_secret(text)
    assert redact_text(text) != text and secret not in redact_text(text)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(
    st.text(alphabet=st.sampled_from(list("abBskmltfhgopurxAKIGEeR_-@:/ .\x1f0123456789")), max_size=80)
    | st.text(max_size=60)
)
def test_prefilter_never_misses_what_the_full_scan_would_change(text):
    if not may_contain_secret(text):
        assert _redact_matches(text) == text


def test_secrets_version_grows_only_for_new_secrets():
    before = secrets_version()
    register_secret("another-registered-secret-987")
    after = secrets_version()
    register_secret("another-registered-secret-987")
    assert after == before + 1 and secrets_version() == after
    assert may_contain_secret("x another-registered-secret-987 y")
