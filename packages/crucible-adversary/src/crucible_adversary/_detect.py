"""Score a :class:`~crucible_adversary._scan.Scan` for prompt injection and for jailbreaks.

Each detector is a logistic model over cue families (Kim-style "several weak signals" scoring):

    z = bias + sum_f w_f * s(count_f) + sum_(f,g) w_fg * [f and g] + heuristics
    score = sigmoid(a * z + b)

with ``s(c) = 1 + 0.25 * min(c - 1, 3)`` (repeated phrasings count a little more), hand-set log-odds
weights ``w`` that reflect how specific a cue is (an explicit "ignore previous instructions" is
strong, a role-play opener is weak), interaction terms for the combinations that separate attacks
from look-alikes (harmful topic *and* fictional framing; freedom-from-rules *and* a persona), and
Platt-scaling constants ``(a, b)`` fitted on the tuning split of the shipped development set
(:func:`crucible_adversary.fit_calibration`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from crucible_adversary._scan import Scan

__all__ = ["BIAS", "CATEGORIES", "DETECTOR_FAMILIES", "RawScore", "raw_scores"]

_INJECTION_WEIGHTS = {
    "override": 4.4,
    "extraction": 4.0,
    "prompt_ref": 1.3,
    "disclose": 0.5,
    "payload": 1.2,
    "role": 0.8,
    "mode": 2.0,
    "privilege": 2.2,
    "delimiter": 2.0,
    "markup_exec": 3.4,
    "markup": 1.2,
    "ai_address": 3.4,
    "exfiltration": 2.6,
    "tool_call": 1.0,
    "secret_ref": 0.7,
    "covert": 1.5,
    "no_rules": 0.5,
    "constraint_free": 0.3,
    "meta_defense": -2.5,
}
_JAILBREAK_WEIGHTS = {
    "persona_known": 3.4,
    "no_rules": 2.4,
    "refusal_suppression": 3.0,
    "stay_in_character": 1.0,
    "constraint_free": 1.0,
    "dual_response": 2.0,
    "persona_setup": 0.8,
    "role": 0.5,
    "mode": 1.4,
    "ai_policy": 0.5,
    "hypothetical": 0.5,
    "fiction": 0.3,
    "harm_topic": 0.8,
    "harm": 0.9,
    "detail": 0.4,
    "coercion": 1.8,
    "override": 1.0,
    "decode_follow": 1.0,
    "meta_defense": -2.5,
}
# (family, family, bonus) applied when both are present
_INJECTION_PAIRS = (
    ("override", "delimiter", 1.0),
    ("extraction", "delimiter", 1.0),
    ("prompt_ref", "disclose", 2.4),
    ("prompt_ref", "secret_ref", 1.6),
    ("payload", "delimiter", 1.4),
    ("payload", "override", 0.6),
    ("exfiltration", "ai_address", 1.0),
    ("markup", "ai_address", 1.0),
    ("exfiltration", "override", 0.8),
    ("tool_call", "secret_ref", 1.4),
    ("tool_call", "covert", 1.0),
    ("exfiltration", "secret_ref", 0.8),
    ("role", "privilege", 0.8),
    ("role", "mode", 0.8),
    ("privilege", "no_rules", 1.0),
    ("privilege", "constraint_free", 1.0),
    ("role", "constraint_free", 0.6),
)
_JAILBREAK_PAIRS = (
    ("harm_topic", "hypothetical", 1.6),
    ("harm_topic", "fiction", 1.8),
    ("harm_topic", "persona_setup", 1.0),
    ("harm_topic", "refusal_suppression", 1.0),
    ("harm_topic", "coercion", 1.4),
    ("harm", "hypothetical", 0.8),
    ("harm", "fiction", 0.8),
    ("harm", "refusal_suppression", 0.6),
    ("harm", "detail", 0.6),
    ("no_rules", "persona_setup", 1.0),
    ("constraint_free", "persona_setup", 1.2),
    ("constraint_free", "role", 1.0),
    ("constraint_free", "ai_policy", 1.0),
    ("constraint_free", "harm_topic", 0.6),
    ("stay_in_character", "no_rules", 1.0),
    ("stay_in_character", "constraint_free", 0.8),
    ("stay_in_character", "harm_topic", 0.8),
    ("no_rules", "role", 0.8),
    ("no_rules", "ai_policy", 0.8),
    ("no_rules", "hypothetical", 0.8),
    ("no_rules", "fiction", 0.6),
    ("refusal_suppression", "persona_setup", 0.6),
)
BIAS = {"prompt_injection": -3.2, "jailbreak": -3.2}
# a harmful request that was encoded (its cues were found only after decoding, or the text is written
# in leetspeak, which hides some words and not others) is an evasion
_HARM = frozenset({"harm", "harm_topic"})
# "decode this and obey it" next to a payload that really decodes: an evasion cue on its own (the
# score stays below the threshold when the payload is harmless; a harmful or injected payload adds
# its own cues on top)
_ENCODED_REQUEST = 1.6
_OBFUSCATION_WEIGHT = {"prompt_injection": 1.8, "jailbreak": 1.2}

#: Which cue families each detector reads.
DETECTOR_FAMILIES = {"prompt_injection": tuple(_INJECTION_WEIGHTS), "jailbreak": tuple(_JAILBREAK_WEIGHTS)}
#: The finding category each family reports under.
CATEGORIES = {
    "override": "instruction_override",
    "extraction": "system_prompt_extraction",
    "role": "role_reassignment",
    "mode": "role_reassignment",
    "privilege": "role_reassignment",
    "delimiter": "delimiter_injection",
    "markup": "markup_injection",
    "markup_exec": "markup_injection",
    "prompt_ref": "system_prompt_extraction",
    "disclose": "system_prompt_extraction",
    "payload": "instruction_override",
    "tool_call": "tool_exfiltration",
    "secret_ref": "tool_exfiltration",
    "covert": "tool_exfiltration",
    "harm_topic": "harmful_request",
    "ai_address": "indirect_injection",
    "exfiltration": "tool_exfiltration",
    "persona_known": "persona",
    "persona_setup": "persona",
    "no_rules": "restriction_removal",
    "refusal_suppression": "refusal_suppression",
    "stay_in_character": "persona",
    "constraint_free": "restriction_removal",
    "dual_response": "persona",
    "ai_policy": "policy_reference",
    "hypothetical": "hypothetical",
    "fiction": "fiction",
    "harm": "harmful_request",
    "detail": "harmful_request",
    "coercion": "coercion",
    "decode_follow": "encoded_request",
    "meta_defense": "defensive_context",
}


@dataclass(slots=True)
class RawScore:
    """A detector's log-odds ``z`` and each family's contribution to it."""

    detector: str
    logit: float
    contributions: dict[str, float]


# pairs that only count when the two cues are close together (same request, not two sentences apart)
_NEAR = frozenset(
    {
        ("prompt_ref", "disclose"),
        ("prompt_ref", "secret_ref"),
        ("tool_call", "secret_ref"),
        ("exfiltration", "secret_ref"),
    }
)
_NEAR_CHARS = 120


def _near(first: tuple[int, ...], second: tuple[int, ...]) -> bool:
    return any(abs(a - b) <= _NEAR_CHARS for a in first for b in second)


def _strength(count: int) -> float:
    return 1.0 + 0.25 * min(count - 1, 3)


def _score(
    detector: str, found: Scan, weights: dict[str, float], pairs: tuple[tuple[str, str, float], ...]
) -> RawScore:
    hits = found.hits
    parts: dict[str, float] = {}
    for family, weight in weights.items():
        hit = hits.get(family)
        if hit is not None:
            parts[family] = weight * (_strength(hit.count) if weight > 0 else 1.0)
    for first, second, bonus in pairs:
        if first in hits and second in hits:
            if (first, second) in _NEAR and not _near(hits[first].starts, hits[second].starts):
                continue
            parts[f"{first}+{second}"] = bonus
    if (found.obfuscation or "leetspeak" in found.decoded) and any(
        weights.get(f, 0) > 1.0
        or (detector == "jailbreak" and f in _HARM and (hit.source != "text" or "leetspeak" in found.decoded))
        for f, hit in hits.items()
    ):
        parts["obfuscation"] = _OBFUSCATION_WEIGHT[detector]
    elif "mixed_script" in found.obfuscation or "invisible_characters" in found.obfuscation:
        parts["obfuscation"] = 0.8
    if detector == "jailbreak":
        if "decode_follow" in hits and found.decoded:
            parts["encoded_request"] = _ENCODED_REQUEST
        if (found.turns >= 3 and found.compliance >= 2) or found.turns >= 6:
            parts["many_shot"] = 2.6 + (1.6 if "harm" in hits or "harm_topic" in hits else 0.0)
        if found.imperatives >= 4:
            parts["imperatives"] = 0.6 if found.imperatives < 8 else 1.2
        if found.length > 1500 and len(parts) >= 3:
            parts["long_template"] = 0.6
    elif found.caps_ratio > 0.6 and parts:
        parts["shouting"] = 0.4
    return RawScore(detector, BIAS[detector] + math.fsum(parts.values()), parts)


def raw_scores(found: Scan, detectors: tuple[str, ...]) -> dict[str, RawScore]:
    """The raw log-odds of each requested text detector."""
    out: dict[str, RawScore] = {}
    if "prompt_injection" in detectors:
        out["prompt_injection"] = _score("prompt_injection", found, _INJECTION_WEIGHTS, _INJECTION_PAIRS)
    if "jailbreak" in detectors:
        out["jailbreak"] = _score("jailbreak", found, _JAILBREAK_WEIGHTS, _JAILBREAK_PAIRS)
    return out
