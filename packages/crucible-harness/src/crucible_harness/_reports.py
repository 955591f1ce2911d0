"""Reports from jinja2 templates over one results model: Markdown, LaTeX, HTML, Jupyter, JSON.

Every report is rendered from the same context (:func:`report_context`) built from a
:class:`~crucible_harness.RunResult`. HTML is one self-contained file: inline CSS, figures as base64 PNG,
no script, a Content-Security-Policy that forbids any fetch, and every piece of data escaped (jinja2
autoescape). Markdown escapes ``|``, ``<``, ``>`` and ``&`` in data; LaTeX escapes its special characters.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from crucible_core.errors import ValidationError
from crucible_core.export import atomic_write
from crucible_core.redaction import redact
from crucible_harness._results import fmt, fmt_p
from crucible_harness._rundir import ENVIRONMENT, REPORT_FILES
from crucible_harness._runresult import RunResult
from crucible_harness._spec import REPORT_FORMATS

__all__ = ["render", "report_context", "write_reports"]

_CAPTIONS = {
    "metric_by_condition": "Primary metric per condition with its confidence interval",
    "latency_cdf": "Latency per task: cumulative distribution per condition",
    "cost_vs_metric": "Total cost against the primary metric",
}
_TEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
}  # fmt: skip
_TEX_RE = re.compile("|".join(re.escape(k) for k in _TEX_SPECIALS))


def escape_tex(value: Any) -> str:
    text = str(value).replace("−", "-").replace("±", "+/-")
    return _TEX_RE.sub(lambda m: _TEX_SPECIALS[m.group()], text)


def escape_md(value: Any) -> str:
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _environments() -> tuple[Environment, Environment, Environment]:
    loader = PackageLoader("crucible_harness", "templates")
    html = Environment(loader=loader, autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)
    text = Environment(loader=loader, autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
    text.filters["md"] = escape_md
    tex = Environment(
        loader=loader, autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True,
        block_start_string="<%", block_end_string="%>", variable_start_string="<<", variable_end_string=">>",
        comment_start_string="<#", comment_end_string="#>",
    )  # fmt: skip
    tex.filters["tex"] = escape_tex
    return html, text, tex


def _ci(ci: Any) -> str:
    return "" if ci is None else f" [{fmt(ci[0])}, {fmt(ci[1])}]"


def _environment_text(run_dir: Path) -> str:
    path = run_dir / ENVIRONMENT
    if not path.is_file():
        return "Environment not captured (reproducibility.capture_environment=False)."
    try:
        sessions = json.loads(path.read_text(encoding="utf-8")).get("sessions", [])
    except ValueError:
        return "environment.json is unreadable."
    if not sessions:
        return "No session recorded."
    env = sessions[-1]
    git = env.get("git") or None
    git_text = (
        "no git repository"
        if git is None
        else f"git {str(git.get('commit'))[:12]}" + (" (dirty)" if git.get("dirty") else "")
    )
    crucible = ", ".join(
        f"{k} {v}" for k, v in sorted((env.get("packages") or {}).items()) if k.startswith("crucible")
    )
    return (
        f"Python {env.get('python_version')} on {env.get('platform')}; {git_text}; {crucible}; "
        f"{len(sessions)} session(s), see environment.json."
    )


def _family(a: Any) -> str:
    comparisons, attacks = len(a.comparisons), len(a.robustness)
    parts = [f"{comparisons} pairwise comparison{'s' if comparisons != 1 else ''}"]
    if attacks:
        parts.append(f"{attacks} attack test{'s' if attacks != 1 else ''}")
    return " and ".join(parts)


def report_context(
    result: RunResult, figures: Mapping[str, Mapping[str, str]] | None = None
) -> dict[str, Any]:
    """The values every template renders (numbers already formatted; data not yet escaped)."""
    a = result.analysis
    run_dir = result.path
    conditions = []
    for c in a.conditions:
        conditions.append(
            {
                "name": c.name, "description": result.condition_descriptions.get(c.name, ""), "ok": c.ok,
                "failed": c.failed, "blocked": c.blocked,
                "metrics": {m: (f"{fmt(s.mean)}{_ci(s.ci)}" if (s := c.metric(m)) else "n/a") for m in a.metrics},
                "cost": f"{c.cost_usd:.6f}", "tokens": f"{c.prompt_tokens}+{c.completion_tokens}",
                "latency": "n/a" if c.latency is None
                else f"{c.latency.p50:.3f} / {c.latency.p90:.3f} / {c.latency.p99:.3f}",
                "error_rate": "n/a" if c.error_rate is None else f"{c.error_rate:.1%}" + (
                    "" if c.error_rate_ci is None else f" [{c.error_rate_ci[0]:.1%}, {c.error_rate_ci[1]:.1%}]"
                ),
            }
        )  # fmt: skip
    comparisons = [
        {
            "a": c.condition_a, "b": c.condition_b, "metric": c.metric, "n": c.n_pairs,
            "difference": f"{fmt(c.estimate)}{_ci(c.ci)}", "test": c.test, "p": fmt_p(c.p_value),
            "p_adjusted": fmt_p(c.p_adjusted), "significant": c.significant,
            "effect": "n/a" if c.effect_size is None else f"{c.effect_size_name} = {fmt(c.effect_size, 3)}",
            "verdict": "differ" if c.significant else "no detectable difference", "conclusion": c.conclusion,
        }
        for c in a.comparisons
    ]  # fmt: skip
    robustness = [
        {
            "condition": r.condition, "attack": r.attack, "n": r.n_pairs, "repeats": r.repeats,
            "clean": fmt(r.clean_mean),
            "attacked": fmt(r.attacked_mean), "drop": f"{fmt(r.drop)}{_ci(r.drop_ci)}",
            "asr": f"{fmt(r.success_rate)}{_ci(r.success_rate_ci)}", "test": r.test, "p": fmt_p(r.p_value),
            "p_adjusted": fmt_p(r.p_adjusted),
        }
        for r in a.robustness
    ]  # fmt: skip
    blocked = [
        {"condition": c.name, "count": c.blocked,
         "categories": ", ".join(f"{k}: {v}" for k, v in c.blocked_categories.items()) or "n/a"}
        for c in a.conditions if c.blocked
    ]  # fmt: skip
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for row in result.dead_letters():
        key = (row["condition"], f"{row['error_type']} ({row['error_kind'] or 'error'})")
        entry = groups.setdefault(key, {"condition": key[0], "error": key[1], "count": 0,
                                        "message": (row["error_message"] or "")[:240]})  # fmt: skip
        entry["count"] += 1
    figure_list = []
    for name, paths in (figures or {}).items():
        png = Path(paths["png"])
        figure_list.append(
            {"name": name, "caption": _CAPTIONS.get(name, name), "png": f"figures/{png.name}",
             "pdf": f"figures/{Path(paths['pdf']).name}", "data": base64.b64encode(png.read_bytes()).decode("ascii")}
        )  # fmt: skip
    methods = sorted({m.method for c in a.conditions for m in c.metrics})
    correction = "no correction" if a.correction == "none" else f"{a.correction} correction"
    return redact(
        {
            "title": result.experiment, "description": result.description, "hypothesis": result.hypothesis,
            "author": result.author, "tags": ", ".join(result.tags), "version": result.version,
            "budget_warnings": list(result.budget_warnings),
            "has_descriptions": any(c["description"] for c in conditions),
            "run": {"run_id": result.run_id, "status": result.status, "stop_reason": result.stop_reason,
                    "dataset": result.dataset, "repeats": result.repeats, "seed": result.seed,
                    "sessions": result.sessions},
            "counts": result.counts, "total_cost": f"${result.cost_usd:.6f}", "simulated": result.simulated,
            "metric_columns": list(a.metrics), "conditions": conditions, "comparisons": comparisons,
            "comparison_intro": (
                f"Paired by item; tests={a.tests}; p-values adjusted with {correction} across all "
                f"{a.family_size} tests of this report ({_family(a)}); alpha = {a.alpha:g}."
            ),
            "robustness_intro": (
                "The item is the unit: n counts paired items"
                + (
                    "; with repeats, each item's clean and attacked scores are averaged first and the test and "
                    "intervals are computed over items"
                    if any(r.repeats > 1 for r in a.robustness)
                    else ""
                )
                + (
                    ". No multiplicity correction was applied."
                    if a.correction == "none"
                    else f". Adjusted p-values belong to the same {correction} family of {a.family_size} tests as "
                    "the comparisons."
                )
            ),
            "robustness": robustness, "blocked": blocked, "dead_letters": list(groups.values()),
            "conclusion": a.conclusion, "notes": list(a.notes), "confidence": f"{a.confidence:.0%}",
            "ci_methods": ", ".join(methods) or "n/a", "figures": figure_list,
            "environment": _environment_text(run_dir),
        }
    )  # fmt: skip


def render(result: RunResult, format: str, figures: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The report of ``result`` in ``format`` (``markdown``, ``latex``, ``html``, ``notebook`` or ``json``)."""
    if format == "json":
        return json.dumps(redact(result.to_dict()), indent=2, default=str) + "\n"
    if format == "notebook":
        from crucible_harness._notebook import notebook_json

        return notebook_json(result)
    html, text, tex = _environments()
    context = report_context(result, figures)
    if format == "markdown":
        return text.get_template("report.md.j2").render(**context)
    if format == "latex":
        return tex.get_template("report.tex.j2").render(**context)
    if format == "html":
        return html.get_template("report.html.j2").render(**context)
    raise ValidationError(
        f"format must be one of {', '.join(REPORT_FORMATS)}; got {format!r}", argument="formats", value=format
    )


def write_reports(
    result: RunResult, formats: Iterable[str], figures: Mapping[str, Mapping[str, str]] | None = None
) -> dict[str, str]:
    """Write each format's report into the run directory (atomically); returns format -> path."""
    written: dict[str, str] = {}
    for format in formats:
        content = render(result, format, figures)
        path = result.path / REPORT_FILES[format]
        with atomic_write(path) as fh:
            fh.write(content)
        path.chmod(0o644)
        written[format] = str(path)
    return written
