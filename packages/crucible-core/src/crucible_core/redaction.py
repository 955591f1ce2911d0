"""Keep secrets out of every log line, event, export and report.

:func:`redact` walks strings, mappings and sequences and replaces

* values under secret-looking keys (``api_key``, ``authorization``, ``token``, ``password``, ``secret``,
  ``cookie`` ...), whatever they contain;
* secret-looking substrings anywhere in text: ``sk-…`` (OpenAI/Anthropic style), ``tml-…`` (Tinker),
  ``hf_…`` (Hugging Face), ``ghp_…``/``github_pat_…``, ``AKIA…`` (AWS), ``xox…`` (Slack), ``AIza…`` (Google), ``Bearer …``
  credentials and ``user:password@`` in URLs;
* any value registered with :func:`register_secret` (e.g. the key an HTTP model client was given).

    >>> redact({"headers": {"Authorization": "Bearer abc"}, "text": "key sk-proj-AbCdEf0123456789xyz"})
    {'headers': {'Authorization': '[REDACTED]'}, 'text': 'key [REDACTED]'}
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

__all__ = [
    "API_KEY_PATTERNS",
    "REDACTED",
    "is_secret_key",
    "may_contain_secret",
    "redact",
    "redact_text",
    "redact_url",
    "register_secret",
    "secrets_version",
]

REDACTED = "[REDACTED]"

_SECRET_KEY_RE = re.compile(
    r"(^|[_\-.])(api[_\-]?key|apikey|authorization|auth[_\-]?token|access[_\-]?token|refresh[_\-]?token|"
    r"token|password|passwd|secret|client[_\-]?secret|cookie|set[_\-]cookie|x[_\-]api[_\-]key|private[_\-]?key)$",
    re.IGNORECASE,
)
# API keys by their vendor prefix (no capturing groups): redacted here, and reported as PII by
# crucible-adversary, which builds its key detector from this tuple.
API_KEY_PATTERNS: tuple[str, ...] = (
    r"\bsk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_\-]{16,}",
    r"\btml-[A-Za-z0-9_\-]{12,}",
    r"\bhf_[A-Za-z0-9]{20,}",
    r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}",
    r"\bgithub_pat_[A-Za-z0-9_]{30,}",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",
    r"\bAIza[0-9A-Za-z_\-]{35}",
)
_TOKEN_PATTERNS = [*API_KEY_PATTERNS, r"\b[Bb](?:earer|EARER)\s+[A-Za-z0-9._~+/\-]{8,}=*"]
_TOKEN_RE = re.compile("|".join(f"(?:{p})" for p in _TOKEN_PATTERNS))
_URL_USERINFO_RE = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<user>[^:/@\s]+):(?P<pw>[^@/\s]+)@")

_registered_lock = threading.Lock()
_registered: frozenset[str] = frozenset()
_version = 0


def register_secret(value: str | None) -> None:
    """Redact this exact value wherever it appears from now on (values shorter than 6 characters are
    ignored to avoid erasing ordinary words)."""
    global _registered, _version
    if not value or len(value) < 6:
        return
    with _registered_lock:
        if value not in _registered:
            _registered = _registered | {value}
            _version += 1


def secrets_version() -> int:
    """A number that grows whenever a new secret is registered: callers that cache "this string is
    clean" verdicts reset their cache when it changes."""
    return _version


def may_contain_secret(text: str) -> bool:
    """A fast necessary condition for :func:`redact_text` changing ``text``.

    Every token pattern contains a fixed marker (``sk-``, ``tml-``, ``xox``, ``hf_``, ``gh``,
    ``github_pat_``, ``AKIA``, ``AIza``, ``earer``/``EARER``, or ``@`` with ``://``); substring tests for them run
    at C speed, where the full regular expression costs tens of nanoseconds per character. False
    means the text certainly holds no secret; True means it must go through :func:`redact_text`.
    """
    if "-" in text and ("sk-" in text or "tml-" in text or "xox" in text):
        return True
    if "_" in text and ("hf_" in text or "gh" in text or "github_pat_" in text):
        return True
    if "AKIA" in text or "AIza" in text or "earer" in text or "EARER" in text:
        return True
    if "@" in text and "://" in text:
        return True
    return any(secret in text for secret in _registered)


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a credential (``api_key``, ``Authorization``, ``password`` ...)."""
    return bool(_SECRET_KEY_RE.search(key))


def redact_url(url: str) -> str:
    """``scheme://user:password@host`` -> ``scheme://user:[REDACTED]@host``."""
    return _URL_USERINFO_RE.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", url)


def redact_text(text: str) -> str:
    """Replace secret-looking substrings and registered secrets in ``text``."""
    if not text or not may_contain_secret(text):
        return text
    return _redact_matches(text)


def _redact_matches(text: str) -> str:
    """The full scan behind :func:`redact_text`, without the :func:`may_contain_secret` prefilter."""
    for secret in _registered:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _TOKEN_RE.sub(REDACTED, text)
    if "@" in text and "://" in text:
        text = redact_url(text)
    return text


def redact(value: Any) -> Any:
    """Return a copy of ``value`` with secrets replaced by ``[REDACTED]`` (see the module docstring).

    Mappings, lists and tuples are copied recursively; other objects are returned unchanged.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(key, str) and is_secret_key(key) and item not in (None, ""):
                out[key] = REDACTED
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, tuple):
        return tuple(redact(item) for item in value)
    return value
