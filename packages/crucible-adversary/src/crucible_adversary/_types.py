"""Public records of the attack side: what an attack is, what it did, and how to ask for one."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from crucible_core.errors import ValidationError

__all__ = ["AttackCategory", "AttackInfo", "AttackResult", "AttackSpec", "Edit"]

AttackCategory = Literal["character", "word", "semantic", "injection", "jailbreak", "extraction"]

#: Categories whose attacks must keep the meaning (and so the answer key) of the text.
MEANING_PRESERVING: frozenset[str] = frozenset({"character", "word", "semantic"})


class Edit(NamedTuple):
    """One change made by an attack: ``before`` at ``position`` of the *input* text became ``after``.

    ``kind`` is ``substitute``, ``delete``, ``insert``, ``swap``, ``move`` or ``wrap`` (text added
    around the original, used by the injection, jailbreak and extraction attacks).
    """

    kind: str
    position: int
    before: str
    after: str


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of the fields."""
        return self.model_dump(mode="json")


class AttackInfo(_Record):
    """What :func:`list_attacks` reports about one attack.

    ``intensity`` describes what ``rate`` (every attack's intensity parameter, in ``[0, 1]``) controls
    for this attack; ``default_rate`` is used when ``rate`` is not given. ``needs_model``: the attack
    cannot run without a :class:`~crucible_core.models.Model`; ``model_assisted``: the attack uses a
    model when one is given (:func:`attack_async`, ``Chain.apply_async``,
    ``evaluate_robustness(attack_model=...)``) and its offline rules otherwise.
    """

    name: str
    category: AttackCategory
    description: str
    needs_model: bool
    meaning_preserving: bool
    intensity: str
    default_rate: float
    options: tuple[str, ...] = ()
    model_assisted: bool = False

    def summary(self) -> str:
        model = (
            " (needs a Model)"
            if self.needs_model
            else " (uses a Model when given)"
            if self.model_assisted
            else ""
        )
        return f"{self.name} [{self.category}]{model}: {self.description}"


class AttackResult(_Record):
    """The outcome of one attack on one text.

    ``params`` holds every input that determines the output (``rate``, ``seed``, options), so the
    same call reproduces ``perturbed`` exactly. ``edits`` lists the changes (positions in ``original``).

        >>> from crucible_adversary import attack
        >>> r = attack("keyboard_typo", "Which planet is largest? A) Mars B) Jupiter", rate=0.2, seed=1)
        >>> r.changed, r.attack
        (True, 'keyboard_typo')
    """

    original: str
    perturbed: str
    attack: str
    params: dict[str, Any]
    edits: tuple[Edit, ...] = ()

    @classmethod
    def trusted(
        cls, original: str, perturbed: str, attack: str, params: dict[str, Any], edits: tuple[Edit, ...]
    ) -> AttackResult:
        """Build a result from values the attack code produced itself, without re-validating them.

        This is what pydantic's ``model_construct`` does, minus its generic per-field loop; attacks
        run >50,000 times per second, where that loop is a tenth of the cost.
        """
        result = cls.__new__(cls)
        _set = object.__setattr__
        _set(
            result,
            "__dict__",
            {
                "original": original,
                "perturbed": perturbed,
                "attack": attack,
                "params": params,
                "edits": edits,
            },
        )
        _set(result, "__pydantic_fields_set__", _RESULT_FIELDS)
        _set(result, "__pydantic_extra__", None)
        _set(result, "__pydantic_private__", None)
        return result

    @property
    def changed(self) -> bool:
        """True when the perturbed text differs from the original."""
        return self.perturbed != self.original

    @property
    def n_edits(self) -> int:
        return len(self.edits)

    def summary(self) -> str:
        return (
            f"{self.attack}: {len(self.edits)} edit(s), {len(self.original)} -> {len(self.perturbed)} chars\n"
            f"  before: {self.original[:120]!r}\n  after:  {self.perturbed[:120]!r}"
        )


_RESULT_FIELDS = frozenset({"original", "perturbed", "attack", "params", "edits"})


class AttackSpec(_Record):
    """An attack with fixed parameters, usable wherever an attack name is accepted.

    >>> AttackSpec(name="homoglyph", rate=0.3).label
    'homoglyph(rate=0.3)'
    """

    name: str
    rate: float | None = Field(default=None)
    options: dict[str, Any] = Field(default_factory=dict)

    def __init__(self, /, **data: Any) -> None:
        rate = data.get("rate")
        if rate is not None and (not isinstance(rate, int | float) or not 0.0 <= float(rate) <= 1.0):
            raise ValidationError(
                f"AttackSpec.rate must be a number in [0, 1]; got {rate!r}. Pass e.g. rate=0.1.",
                argument="rate",
                value=repr(rate),
            )
        super().__init__(**data)

    @property
    def label(self) -> str:
        parts = [] if self.rate is None else [f"rate={self.rate:g}"]
        parts += [f"{key}={value!r}" for key, value in sorted(self.options.items())]
        return f"{self.name}({', '.join(parts)})" if parts else self.name

    def summary(self) -> str:
        return self.label
