"""Normalise a text, find the cue families in it, and decode-and-rescan hidden payloads.

Normalisation (only for non-ASCII text, so ASCII prompts pay nothing): NFKD (folds full-width,
circled and mathematical letters), removal of combining marks and invisible characters (zero-width
space/joiners, word joiner, BOM, soft hyphen), then Unicode look-alikes (Cyrillic ``а``, Greek ``ο``
...) mapped to their Latin letters. Matching runs on the lower-cased result.

Decode-and-rescan runs only when a payload-looking run is present: base64 runs (>= 20 characters
of the base64 alphabet), hex runs (>= 10 bytes, ``\\x41`` escapes too), ROT13 passages (when the
text names ROT13 or holds two ROT13-encoded function words such as ``gur``/``naq``; the passages are
found word by word, so a short payload behind an English instruction is decoded on its own, see
:mod:`crucible_adversary._rot13`), leetspeak (>= 2 tokens mixing letters and digits such as
``1gn0r3``) and letter-spaced words (``i g n o r e``). Decoded text is scanned again (two levels
deep at most) and its hits are reported with the encoding. ``Scan.decoded`` records every payload
that certainly is an encoded message (base64/hex decoding to printable text, a ROT13 passage most of
whose words decode to English, leetspeak with at least two tokens that decode to common English
words), whether or not it holds cues.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass, field

from crucible_adversary._matcher import match_families
from crucible_adversary._resources import reverse_confusables
from crucible_adversary._rot13 import ENGLISH, rot13_hint, rot13_segments

__all__ = ["Hit", "Scan", "scan"]

_INVISIBLE = re.compile("[\u00ad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_CONFUSABLE_SCRIPTS = (
    "\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u13a0-\u13ff\u1d00-\u1d7f\u2100-\u218f\ua700-\ua7ff"
)
_MIXED = re.compile(rf"[A-Za-z][{_CONFUSABLE_SCRIPTS}]|[{_CONFUSABLE_SCRIPTS}][A-Za-z]")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{20,}={0,2}|[A-Za-z0-9_\-]{24,}={0,2}")
_HEX = re.compile(r"(?:\\x[0-9a-fA-F]{2}){6,}|\b(?:0x)?(?:[0-9a-fA-F]{2}){10,}\b")
_LEET_TOKEN = re.compile(r"\b(?=[a-z0-9@$]*[a-z])[a-z]*[01345789@$][a-z01345789@$]*[a-z][a-z01345789@$]*\b")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s"}
)
_LEET_L = str.maketrans(
    {"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s"}
)
_SPACED_HINT = re.compile(r"[ .\-_*|][a-z][ .\-_*|]{1,3}[a-z][ .\-_*|]{1,3}[a-z][ .\-_*|]")
_SPACED = re.compile(r"(?:\b[a-z][ .\-_*|]{1,3}){5,}[a-z]\b")
_LETTER_GAP = re.compile(r"(?<=[a-z])[.\-_*|]?[ ]?(?=[a-z])|(?<=[a-z])[.\-_*|](?=[a-z])")
_WORD_GAP = re.compile(r"[ ]{2,}")
_LEET_HINT = re.compile(r"[013456789@$](?:(?<=[a-z][013456789@$])|(?=[a-z]))")
_ROT_NAMED = re.compile(r"\brot-?\s?13\b|\bcaesar\b")
_TURN = re.compile(
    r"\b(?:q\d*|a\d*|user|assistant|human|h|ai|response|request)\s*:|(?:^|\n)\s*(?:>|-|\d+\.)\s|=>",
    re.MULTILINE,
)
_COMPLY = re.compile(r"\b(?:sure|certainly|of course|absolutely|here'?s|here is)\b[!.,:]?")
_IMPERATIVE = re.compile(  # starts with a literal, so the engine jumps from one "you " to the next
    r"you (?:will|must|shall|are going to|never|always|can|cannot|can'?t|don'?t|do not|should|have to|won'?t|are free)\b"
)
_UPPER_BYTES = bytes(b for b in range(256) if not (65 <= b <= 90))
_LETTER_BYTES = bytes(b for b in range(256) if not (65 <= b <= 90 or 97 <= b <= 122))
_MAX_RUNS = 4
_MAX_PAYLOAD = 8192


@dataclass(slots=True)
class Hit:
    """A cue family found in the text: how many matches, the first one's span and text."""

    family: str
    count: int
    span: tuple[int, int]
    evidence: str
    source: str = "text"
    starts: tuple[int, ...] = ()


@dataclass(slots=True)
class Scan:
    """Everything the injection and jailbreak detectors score."""

    hits: dict[str, Hit] = field(default_factory=dict)
    # encodings whose decoded payload added cue hits -> span of the (first) encoded run
    obfuscation: dict[str, tuple[int, int]] = field(default_factory=dict)
    # encodings of every confidently decoded payload (cues or not) -> span of the first encoded run
    decoded: dict[str, tuple[int, int]] = field(default_factory=dict)
    turns: int = 0
    compliance: int = 0
    imperatives: int = 0
    caps_ratio: float = 0.0
    length: int = 0
    normalised: bool = False


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def fold(text: str) -> str:
    """The normalised form matched by the detectors (see the module docstring); ASCII passes through."""
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKD", text)
    folded = _INVISIBLE.sub("", folded)
    folded = _COMBINING.sub("", folded)
    if folded.isascii():
        return folded
    # the look-alike table has no ASCII keys: translate only the non-ASCII runs (a per-character
    # dict lookup over the whole text costs ~40 us per KB; the runs are usually a few characters)
    table = reverse_confusables()
    return _NON_ASCII.sub(lambda m: m.group().translate(table), folded)


def _printable(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 8 or " " not in text:
        return None
    good = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return text if good >= 0.95 * len(text) else None


def _decode_base64(run: str) -> str | None:
    run = run.strip("=")
    if len(run) > _MAX_PAYLOAD:
        return None
    padded = run + "=" * (-len(run) % 4)
    try:
        data = base64.b64decode(padded, altchars=b"-_" if ("-" in run or "_" in run) else None, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _printable(data)


def _decode_hex(run: str) -> str | None:
    digits = run.replace("\\x", "")
    if digits[:2].lower() == "0x":
        digits = digits[2:]
    if len(digits) > _MAX_PAYLOAD or len(digits) % 2:
        return None
    try:
        return _printable(bytes.fromhex(digits))
    except ValueError:
        return None


def _find(low: str, into: Scan, source: str, span: tuple[int, int] | None) -> None:
    found: dict[str, list[int]] = {}
    starts: dict[str, list[int]] = {}
    for family, start, end in match_families(low):
        if family in into.hits:
            continue
        entry = found.get(family)
        if entry is None:
            found[family] = [1, start, end]
            starts[family] = [start]
        else:
            entry[0] += 1
            if len(starts[family]) < 8:
                starts[family].append(start)
            if start < entry[1]:
                entry[1], entry[2] = start, end
    for family, (count, start, end) in found.items():
        into.hits[family] = Hit(
            family,
            min(count, 4),
            span if span is not None else (start, end),
            low[start:end][:160],
            source,
            tuple(starts[family]) if span is None else (0,),
        )


Payload = tuple[str, str, tuple[int, int], bool]  # encoding, decoded text, span, clearly a message


def _payloads(norm: str, low: str) -> list[Payload]:
    """Decoded payloads as (encoding, text, span in the normalised text, confident). A payload is
    *confident* when it certainly is an encoded message: base64 or hex that decodes to printable text
    with spaces, a ROT13 passage most of whose words decode to English (see :mod:`._rot13`), or
    leetspeak with two tokens that decode to common English words."""
    out: list[Payload] = []
    # base64 and hex payloads are long unbroken tokens: only look inside those (cheap for prose)
    if any(len(token) >= 20 for token in norm.split()):
        for m in _BASE64.finditer(norm):
            if len(out) >= _MAX_RUNS:
                break
            decoded = _decode_base64(m.group())
            if decoded is not None:
                out.append(("base64", decoded, m.span(), True))
        for m in _HEX.finditer(norm):
            if len(out) >= _MAX_RUNS:
                break
            decoded = _decode_hex(m.group())
            if decoded is not None:
                out.append(("hex", decoded, m.span(), True))
    named = ("rot" in low or "caesar" in low) and _ROT_NAMED.search(low) is not None
    if named or rot13_hint(low):
        for segment in rot13_segments(low, named=named):
            out.append(("rot13", segment.decoded, (segment.start, segment.end), segment.confident))
    if _LEET_HINT.search(low) is not None:
        tokens = _LEET_TOKEN.findall(low)
        if len(tokens) >= 2:
            # confident: at least two tokens decode to common English words ("7h15" -> "this")
            words = sum(1 for t in tokens if t.translate(_LEET) in ENGLISH or t.translate(_LEET_L) in ENGLISH)
            out.append(("leetspeak", low.translate(_LEET), (0, len(low)), words >= 2))
            if "1" in low:  # "1" stands for "l" as often as for "i" ("k3y1099er"), but not in "-ing"
                out.append(("leetspeak", low.replace("1ng", "ing").translate(_LEET_L), (0, len(low)), False))
    for m in _SPACED.finditer(low) if _SPACED_HINT.search(low) else ():
        run = m.group()
        words = run.split() if any(c in run for c in ".-_*|") else _WORD_GAP.split(run)
        out.append(("letter_spacing", " ".join(_LETTER_GAP.sub("", w) for w in words), m.span(), False))
        if len(out) >= _MAX_RUNS + 2:
            break
    return out


def _scan_into(text: str, into: Scan, source: str, span: tuple[int, int] | None, depth: int) -> None:
    norm = fold(text)
    low = norm.lower()
    _find(low, into, source, span)
    if depth == 0:
        into.normalised = norm is not text
        if low.count(":") + low.count(">") >= 3:
            into.turns = len(_TURN.findall(low))
            if into.turns >= 3:
                into.compliance = len(_COMPLY.findall(low))
        if "you " in low:
            into.imperatives = len(_IMPERATIVE.findall(low))
        if norm is not text:
            invisible = _INVISIBLE.findall(text)
            if invisible:
                into.obfuscation["invisible_characters"] = (0, len(text))
            mixed = _MIXED.findall(text)
            if len(mixed) >= 2:
                into.obfuscation["mixed_script"] = (0, len(text))
        if text.isascii() and len(text) >= 20:
            raw = text.encode("ascii")
            letters = len(raw.translate(None, _LETTER_BYTES))
            into.caps_ratio = len(raw.translate(None, _UPPER_BYTES)) / letters if letters else 0.0
    if depth >= 2:
        return
    for encoding, decoded, where, confident in _payloads(norm, low):
        located = span if span is not None else where
        if confident:
            into.decoded.setdefault(encoding, located)
        marker = len(into.hits)
        _scan_into(decoded, into, encoding, located, depth + 1)
        if len(into.hits) > marker:
            into.obfuscation[encoding] = located


def scan(text: str) -> Scan:
    """Find every cue family in ``text`` and in payloads decoded from it."""
    result = Scan(length=len(text))
    _scan_into(text, result, "text", None, 0)
    return result
