"""The execution sandbox and the pass@k estimator, with the real HumanEval file from the wheel."""

from __future__ import annotations

import math
import socket
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crucible_core.errors import ValidationError
from crucible_datasets import (
    SandboxLimits,
    check_completions,
    load_dataset,
    network_isolation,
    pass_at_k,
    run_program,
    run_programs,
)


def test_pass_at_k_matches_hand_computed_values() -> None:
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - math.comb(7, 5) / math.comb(10, 5))  # 1 - 21/252
    assert pass_at_k(5, 0, 2) == 0.0
    assert pass_at_k(5, 4, 2) == 1.0  # n - c = 1 < k
    assert pass_at_k(1, 1, 1) == 1.0
    with pytest.raises(ValidationError, match="k=3 needs at least k samples"):
        pass_at_k(2, 1, 3)
    with pytest.raises(ValidationError, match="0 <= c <= n"):
        pass_at_k(2, 3, 1)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_pass_at_k_equals_the_binomial_formula(args: tuple[int, int, int]) -> None:
    n, c, k = args
    exact = 1.0 - math.comb(n - c, k) / math.comb(n, k)
    assert pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-12)


def test_passing_crashing_and_cheating_programs() -> None:
    ok = run_program("assert sum(range(10)) == 45\nprint('fine')")
    assert ok.passed and ok.status == "passed" and ok.exit_code == 0
    crash = run_program("def f():\n    raise ValueError('boom')\nf()")
    assert not crash.passed and crash.status == "failed" and "ValueError: boom" in crash.stderr_tail
    syntax = run_program("def broken(:\n")
    assert not syntax.passed and "SyntaxError" in syntax.stderr_tail
    for cheat in ("import sys\nsys.exit(0)", "import os\nos._exit(0)"):
        result = run_program(cheat)
        assert not result.passed, cheat  # leaving before the tests finish is a failure


def test_looping_memory_hog_and_garbage_printing_programs_fail_cleanly() -> None:
    limits = SandboxLimits(timeout_s=2.0, memory_mb=256, file_size_mb=1)
    loop, hog, garbage, fork_child = run_programs(
        [
            "while True:\n    pass",
            "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))",
            "import sys\nwhile True:\n    sys.stdout.buffer.write(bytes(range(256)) * 4096)",
            "import time\ntime.sleep(60)",
        ],
        limits,
        workers=2,
    )
    assert loop.status == "timeout" and not loop.passed
    assert not hog.passed and hog.status in ("failed", "killed") and "MemoryError" in hog.stderr_tail
    assert not garbage.passed and "File too large" in garbage.stderr_tail
    assert fork_child.status == "timeout"


def test_integral_float_limits_run_programs_and_reach_the_child_as_ints() -> None:
    # floats are outside the declared types but arrive from configs and arithmetic (e.g. 2 ** 10 / 1)
    floats: dict[str, Any] = {"timeout_s": 2.5, "memory_mb": 1024.0, "file_size_mb": 8.0, "cpu_s": 3.0}
    limits = SandboxLimits(**floats)
    assert (limits.memory_mb, limits.file_size_mb, limits.cpu_s) == (1024, 8, 3)
    assert all(type(v) is int for v in (limits.memory_mb, limits.file_size_mb, limits.cpu_s))
    one_gib: dict[str, Any] = {"memory_mb": 1024.0}
    result = run_program("print(1)", SandboxLimits(**one_gib))
    assert result.passed, result.stderr_tail
    small: dict[str, Any] = {"timeout_s": 2.5, "memory_mb": 512.0, "file_size_mb": 2.0}
    if Path("/proc/self/limits").exists():  # Linux: read the limits the child really got
        program = (
            "limits = {line[:26].strip(): line[26:].split()[0] for line in open('/proc/self/limits')}\n"
            "assert limits['Max address space'] == str(512 * 1024 * 1024), limits\n"
            "assert limits['Max cpu time'] == '4', limits\n"
            "assert limits['Max file size'] == str(2 * 1024 * 1024), limits\n"
        )
        checked = run_program(program, SandboxLimits(**small))
        assert checked.passed, checked.stderr_tail
    assert SandboxLimits(timeout_s=2.5).cpu_limit_s == 4  # ceil(timeout_s) + 1, as documented
    assert SandboxLimits(timeout_s=3.0).cpu_limit_s == 4
    assert SandboxLimits(**small).rlimit_args() == (512 * 1024 * 1024, 4, 2 * 1024 * 1024)
    numpy_scalars: dict[str, Any] = {"memory_mb": np.int64(256), "timeout_s": np.float64(1.5)}
    assert (SandboxLimits(**numpy_scalars).memory_mb, SandboxLimits(**numpy_scalars).cpu_limit_s) == (256, 3)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("memory_mb", 1.5),
        ("memory_mb", 0),
        ("memory_mb", -1),
        ("memory_mb", float("nan")),
        ("memory_mb", "1024"),
        ("memory_mb", True),
        ("file_size_mb", 0.25),
        ("file_size_mb", float("inf")),
        ("cpu_s", 0),
        ("cpu_s", -3),
        ("cpu_s", 2.5),
        ("cpu_s", "2"),
        ("timeout_s", 0),
        ("timeout_s", float("inf")),
        ("timeout_s", float("nan")),
        ("timeout_s", None),
    ],
)
def test_invalid_limits_raise_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field) as info:
        SandboxLimits(**{field: value})  # type: ignore[arg-type]
    assert info.value.details["argument"] == field


def test_environment_is_rebuilt_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdefghij")
    monkeypatch.setenv("HF_TOKEN", "hf_abcdefghijklmnopqrstuvwxyz")
    monkeypatch.setenv("CRUCIBLE_CACHE_DIR", "/somewhere")
    program = (
        "import os\n"
        "leaked = [k for k in os.environ if 'KEY' in k or 'TOKEN' in k or k.startswith('CRUCIBLE')]\n"
        "assert not leaked, leaked\n"
        "assert set(os.environ) <= {'PATH', 'LANG', 'LC_ALL', 'HOME', 'TMPDIR', 'PYTHONHASHSEED',\n"
        "    'PYTHONDONTWRITEBYTECODE', 'PYTHONIOENCODING', 'LC_CTYPE'}, sorted(os.environ)\n"
    )
    result = run_program(program)
    assert result.passed, result.stderr_tail


def test_working_directory_is_temporary_and_removed() -> None:
    result = run_program(
        "import os, sys\nprint(os.environ['HOME'], file=sys.stderr)\nopen('scratch.txt', 'w').write('x')\nraise SystemExit(1)"
    )
    workdir = Path(result.stderr_tail.splitlines()[0])
    assert workdir.name.startswith("crucible-sandbox-")
    assert not workdir.exists()


def test_network_is_disabled() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept())
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        plain = run_program(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)")
        assert not plain.passed and "PermissionError" in plain.stderr_tail
        guarded = run_program(
            f"import socket\ns = socket.socket()\ns.connect(('127.0.0.1', {port}))",
            SandboxLimits(network="guard"),
        )
        assert not guarded.passed and guarded.network == "socket-guard"
        if network_isolation() == "namespace":
            # bypass the Python-level guard: only the empty network namespace stops this one
            escape = run_program(
                "import socket\nraw = socket.socket.__mro__[1]\n"
                f"s = raw(socket.AF_INET, socket.SOCK_STREAM)\ns.settimeout(2)\ns.connect(('127.0.0.1', {port}))"
            )
            assert not escape.passed and escape.network == "namespace"
            assert "Error" in escape.stderr_tail
        assert accepted == []
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def test_humaneval_handful_canonical_pass_wrong_fail() -> None:
    ds = load_dataset("humaneval", config="wheel").select([0, 1, 2, 3, 4, 5])
    completions = {item.id: [item.expected, "    return None\n"] for item in ds}
    completions["HumanEval/0"].append("    while True:\n        pass\n")
    completions["HumanEval/1"].append("    import os\n    os.kill(os.getpid(), 9)\n")
    results = check_completions(list(ds), completions, limits=SandboxLimits(timeout_s=2.0), workers=2)
    for item in ds:
        canonical, wrong, *bad = results[item.id]
        assert canonical.passed, (item.id, canonical.stderr_tail)
        assert not wrong.passed and not any(r.passed for r in bad)
        assert pass_at_k(len(results[item.id]), 1, 1) == pytest.approx(1 / len(results[item.id]))
    assert results["HumanEval/0"][2].status == "timeout"
    assert "NoneType" in results["HumanEval/1"][2].stderr_tail  # os.kill is disabled by the guard


@pytest.mark.slow
def test_all_164_canonical_solutions_pass() -> None:
    ds = load_dataset("humaneval", config="wheel")
    results = check_completions(list(ds), {item.id: [item.expected] for item in ds}, workers=2)
    failures = {k: v[0].stderr_tail for k, v in results.items() if not v[0].passed}
    assert len(results) == 164 and failures == {}
    assert sum(pass_at_k(1, int(v[0].passed), 1) for v in results.values()) / 164 == 1.0
