"""Personal data and secrets: detection with checksums, and redaction.

Categories and the confidence each finding carries (the probability that the match is real PII
of that kind; a checksum raises it):

=============  ==========================================================  ==========
category       rule                                                        confidence
=============  ==========================================================  ==========
api_key        provider key formats (``sk-``, ``AKIA``, ``ghp_``, ``xox``,   0.97
               ``AIza``, ``hf_``, ``tml-``) and ``api_key = <16+ chars>``
credit_card    13-19 digits, issuer prefix, Luhn checksum (ISO/IEC 7812)   0.95
iban           country code, 2 check digits, BBAN; mod-97 == 1 (ISO 13616) 0.95
ssn            US SSN ``AAA-GG-SSSS`` without the never-issued blocks      0.85
email          local@domain.tld (RFC 5322 dot-atom subset)                 0.65
phone          international: ``+``, country code, digit groups of any     0.60 / 0.55
               spacing (``+33 1 42 68 53 00``), 7-15 digits (ITU-T E.164);
               national: 9-15 digits in groups of 2-4; never inside a card
               or IBAN-shaped run (even one whose checksum fails)
ip_address     IPv4 (octets <= 255; not after ``version``/``v``/``build``,  0.45 / 0.3
               not inside a longer dotted run) or IPv6 incl. compressed
               forms (``2001:db8::1``), validated by :mod:`ipaddress`;
               private and loopback ranges lower
url            http(s) URLs                                                0.25
=============  ==========================================================  ==========
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from crucible_core.errors import ValidationError
from crucible_core.redaction import API_KEY_PATTERNS, may_contain_secret

__all__ = [
    "PII_CATEGORIES",
    "PiiMatch",
    "RedactionMode",
    "find_pii",
    "luhn_valid",
    "iban_valid",
    "redact_pii",
]

RedactionMode = Literal["mask", "partial", "hash", "placeholder"]
PII_CATEGORIES = ("api_key", "credit_card", "iban", "ssn", "email", "phone", "ip_address", "url")


@dataclass(frozen=True, slots=True)
class PiiMatch:
    category: str
    start: int
    end: int
    value: str
    confidence: float


_API_KEY = re.compile(
    "|".join(f"(?:{p})" for p in API_KEY_PATTERNS)  # vendor-prefixed keys: crucible-core's redaction list
    + r"|(?i:\b(?:api[_\-]?key|secret[_\-]?key|access[_\-]?token|auth[_\-]?token)\b[\"']?\s*[:=]\s*[\"']?)([A-Za-z0-9_\-\.]{16,})"
)
_CARD = re.compile(r"(?<!\d)(?<!\d\.)(?:\d[ \-]?){12,18}\d(?!\d)(?!\.\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}$")
_EMAIL_DOMAIN = re.compile(r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}\b")
# national numbers: groups of 2-4 digits, optionally an area code in parentheses
_PHONE = re.compile(r"(?<![\w+/.\-])(?:\(\d{1,4}\)[ .\-]?)?\d{2,4}(?:[ .\-]\d{2,4}){1,4}(?![\w/.\-])")
# international (ITU-T E.164): "+", a country code, then digit groups separated by space, dash, dot or
# parentheses ("+33 1 42 68 53 00", "+49 30 901820", "+1 (415) 555-0132", "+14155550132")
_PHONE_INTL = re.compile(
    r"(?<![\w+])\+[1-9]\d{0,2}(?:[ .\-]?\(\d{1,4}\)|[ .\-]?\d{1,8}){1,7}(?![\w+])(?![.\-/]\d)"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\d)(?!\.\d)")
# a version number, not an address: "version 1.2.3.4", "v1.2.3.4", "build 10.0.19045.1"
_VERSION_BEFORE = re.compile(
    r"(?i)(?:\bv|\bver\.?|\bversions?|\brelease|\brel\.?|\bbuild|\bfirmware|\bfw|\bkernel)[\s:=#]{0,3}$"
)
# IPv6 candidates, compressed forms included ("2001:db8::1", "fe80::1ff:fe23:4567:890a",
# "::ffff:192.0.2.1"); ipaddress.IPv6Address decides which are addresses
_IPV6 = re.compile(
    r"(?<![\w:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{2,39}(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?"
    r"(?![\w:])(?!\.\d)"
)
_URL = re.compile(r"\bhttps?://[^\s<>\"')\]]+")
_DIGITS3 = re.compile(r"\d{3}")
_KEY_WORD = re.compile(r"(?i)key|token")
# cheap gates that start with a character class (the regex engine skips ahead to it quickly)
_GATE_CARD = re.compile(r"\d[\d \-]{11,}\d")
_GATE_IBAN = re.compile(r"[A-Z]{2}\d{2}")
_GATE_SSN = re.compile(r"\d{3}-\d{2}-\d{4}")
_GATE_PHONE = re.compile(r"[\d(+][\d ().\-]{5,}\d")
_GATE_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d")
_GATE_INTL = re.compile(r"\+[1-9]")
_DATE_LIKE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) checksum of a string of digits (ISO/IEC 7812-1, annex B)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters -> 10..35, mod 97 == 1."""
    compact = iban.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _card_ok(digits: str) -> bool:
    if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        return False
    return digits[0] in "3456" or digits[:2] in ("22", "23", "24", "25", "26", "27")


def find_pii(text: str, categories: frozenset[str] | None = None) -> list[PiiMatch]:
    """Every PII finding in ``text`` (non-overlapping; the more specific category wins)."""
    want = frozenset(PII_CATEGORIES) if categories is None else categories
    found: list[PiiMatch] = []

    def add(category: str, start: int, end: int, confidence: float) -> None:
        found.append(PiiMatch(category, start, end, text[start:end], confidence))

    if "api_key" in want and (may_contain_secret(text) or _KEY_WORD.search(text)):
        for m in _API_KEY.finditer(text):
            start, end = m.span(1) if m.group(1) else m.span()
            add("api_key", start, end, 0.97)
    has_digits = _DIGITS3.search(text) is not None
    # spans that a more specific detector has claimed: phone numbers never overlap them, even when
    # the checksum fails ("GB82 WEST 1234 5698 7654 33" is a mistyped IBAN, not a phone number)
    claimed: list[tuple[int, int]] = []
    if has_digits:
        if ("credit_card" in want or "phone" in want) and _GATE_CARD.search(text):
            for m in _CARD.finditer(text):
                if _card_ok(re.sub(r"[ \-]", "", m.group())):
                    claimed.append(m.span())
                    if "credit_card" in want:
                        add("credit_card", *m.span(), 0.95)
        if _GATE_IBAN.search(text):
            for m in _IBAN.finditer(text):
                claimed.append(m.span())
                if "iban" in want and iban_valid(m.group()):
                    add("iban", *m.span(), 0.95)
        if "ssn" in want and _GATE_SSN.search(text):
            for m in _SSN.finditer(text):
                add("ssn", *m.span(), 0.85)
    if "email" in want and "@" in text:
        at = text.find("@")
        while at != -1:
            local = _EMAIL_LOCAL.search(text, max(0, at - 64), at)
            domain = _EMAIL_DOMAIN.match(text, at + 1)
            if local is not None and domain is not None and not local.group().startswith("."):
                add("email", local.start(), domain.end(), 0.65)
            at = text.find("@", at + 1)
    if "phone" in want and (has_digits or "+" in text):  # "+33 1 42 68 53 00" has no run of 3 digits
        _find_phones(text, claimed, add)
    if "ip_address" in want and _GATE_IPV4.search(text):  # nor has "10.0.0.1"
        for m in _IPV4.finditer(text):
            if _VERSION_BEFORE.search(text, max(0, m.start() - 12), m.start()):
                continue
            try:
                ip = ipaddress.IPv4Address(m.group())
            except ValueError:
                continue
            add("ip_address", *m.span(), 0.3 if ip.is_private or ip.is_loopback else 0.45)
    if "ip_address" in want and ("::" in text or text.count(":") >= 5):
        for m in _IPV6.finditer(text):
            value = m.group()
            if sum(ch.isdigit() for ch in value) < 1 or sum(ch not in ":." for ch in value) < 4:
                continue  # "a::b" in C++ code, "::" alone
            try:
                ip6 = ipaddress.IPv6Address(value)
            except ValueError:
                continue
            add("ip_address", *m.span(), 0.3 if ip6.is_private or ip6.is_loopback else 0.45)
    if "url" in want and "://" in text:
        for m in _URL.finditer(text):
            value = m.group().rstrip(".,;:!?")
            add("url", m.start(), m.start() + len(value), 0.25)
    # keep the most specific, non-overlapping matches
    found.sort(key=lambda f: (f.start, -(f.end - f.start), -f.confidence))
    kept: list[PiiMatch] = []
    for item in sorted(found, key=lambda f: (-f.confidence, f.start)):
        if all(item.end <= k.start or item.start >= k.end for k in kept):
            kept.append(item)
    return sorted(kept, key=lambda f: f.start)


def _find_phones(
    text: str, claimed: list[tuple[int, int]], add: Callable[[str, int, int, float], None]
) -> None:
    """International numbers (``+`` and 7-15 digits in all, ITU-T E.164) and national ones (9-15 digits
    in groups of 2-4), outside the spans claimed by card and IBAN candidates and not date-like."""

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in claimed)

    if _GATE_INTL.search(text):
        for m in _PHONE_INTL.finditer(text):
            digits = sum(ch.isdigit() for ch in m.group())
            if 7 <= digits <= 15 and free(*m.span()):
                add("phone", *m.span(), 0.6)
    if _GATE_PHONE.search(text):
        for m in _PHONE.finditer(text):
            value = m.group()
            digits = sum(ch.isdigit() for ch in value)
            if 9 <= digits <= 15 and not _DATE_LIKE.match(value) and free(*m.span()):
                add("phone", *m.span(), 0.55)


def _partial(match: PiiMatch) -> str:
    value = match.value
    if match.category == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if match.category in ("credit_card", "iban", "phone", "ssn", "api_key"):
        keep = 4
        visible = value[-keep:]
        return "".join("*" if ch.isalnum() else ch for ch in value[:-keep]) + visible
    if match.category == "url":
        scheme, _, rest = value.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}/***"
    return "*" * len(value)


def redact_pii(
    text: str, mode: RedactionMode = "mask", *, categories: frozenset[str] | None = None, salt: str = ""
) -> str:
    """Replace the PII found in ``text``.

    ``mask``: every character of the value becomes ``*`` (length kept); ``partial``: keep what a
    human needs to recognise it (last four digits, the e-mail's first letter and domain, a URL's host);
    ``hash``: ``<EMAIL:1a2b3c4d5e6f>`` — the first 12 hex digits of SHA-256(salt + value), so equal
    values stay linkable without being readable; ``placeholder``: ``[EMAIL_1]``, numbered per distinct
    value in order of appearance.

        >>> redact_pii("Mail jane.doe@example.com or call +44 20 7946 0958", mode="placeholder")
        'Mail [EMAIL_1] or call [PHONE_1]'
    """
    if mode not in ("mask", "partial", "hash", "placeholder"):
        raise ValidationError(
            f"mode must be 'mask', 'partial', 'hash' or 'placeholder'; got {mode!r}",
            argument="mode",
            value=mode,
        )
    if not isinstance(text, str):
        raise ValidationError(f"text must be a str; got {type(text).__name__}", argument="text")
    matches = find_pii(text, categories)
    numbering: dict[tuple[str, str], int] = {}
    counters: dict[str, int] = {}
    pieces: list[str] = []
    prev = 0
    for match in matches:
        pieces.append(text[prev : match.start])
        label = match.category.upper()
        if mode == "mask":
            pieces.append("*" * len(match.value))
        elif mode == "partial":
            pieces.append(_partial(match))
        elif mode == "hash":
            digest = hashlib.sha256((salt + match.value).encode("utf-8")).hexdigest()[:12]
            pieces.append(f"<{label}:{digest}>")
        else:
            key = (match.category, match.value)
            if key not in numbering:
                counters[match.category] = counters.get(match.category, 0) + 1
                numbering[key] = counters[match.category]
            pieces.append(f"[{label}_{numbering[key]}]")
        prev = match.end
    pieces.append(text[prev:])
    return "".join(pieces)
