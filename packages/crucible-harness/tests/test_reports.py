"""Reports: Markdown, LaTeX, JSON and figures; HTML opened in headless Chromium; the notebook executed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest

from crucible_core.testing import chromium_browser
from crucible_datasets import Item
from crucible_harness import Condition, Experiment, ModelSpec, TaskContext, report, run
from crucible_harness._reports import escape_tex
from crucible_harness._results import fmt_p

HOSTILE = "<script>window.__pwned = 1</script>"
HOSTILE_IMG = '<img src="x" onerror="window.__pwned = 2">'


async def hostile(item: Item, ctx: TaskContext) -> str:
    if item.id == "q000":
        raise ValueError("<script>window.__pwned = 3</script> | \\ & % $ # _ { } ~ ^")
    return str(item.expected) if int(item.id[1:]) % 3 else "wrong"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    items = [{"id": f"q{i:03d}", "prompt": f"What is {i} + {i}?", "expected": str(2 * i)} for i in range(30)]
    exp = Experiment(
        name="report-test",
        description=f"Reports must escape {HOSTILE} & 100% of $data_#{{x}}",
        hypothesis=HOSTILE_IMG,
        dataset={"items": items},
        conditions=[
            Condition(
                "sim",
                model=ModelSpec(name="sim", provider="simulated", accuracy=0.8, sleep=False),
                answer="number",
            ),
            Condition("fn", fn=hostile),
        ],
        metrics=["exact_match"],
        limits={"max_retries": 0},
        outputs={"formats": ["markdown", "latex", "html", "notebook", "json"], "progress": "quiet"},
    )
    directory = tmp_path_factory.mktemp("reports") / "run"
    result = run(exp, output_dir=directory)
    assert set(result.reports) == {"markdown", "latex", "html", "notebook", "json"}
    return directory


def test_markdown_latex_json_and_figures(finished_run: Path) -> None:
    markdown = (finished_run / "report.md").read_text()
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "| sim | fn | exact_match | 29 |" in markdown  # q000 failed in fn: 29 paired items
    assert "## Dead letters" in markdown and "ValueError" in markdown
    tex = (finished_run / "report.tex").read_text()
    assert r"\begin{tabular}" in tex and r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert r"100\% of \$data\_\#\{x\}" in tex
    assert r"\includegraphics[width=0.7\linewidth]{figures/metric_by_condition.pdf}" in tex
    data = json.loads((finished_run / "report.json").read_text())
    assert data["counts"] == {"tasks": 60, "ok": 59, "failed": 1, "blocked": 0, "pending": 0}
    assert data["analysis"]["comparisons"][0]["n_pairs"] == 29
    for name in ("metric_by_condition", "latency_cdf", "cost_vs_metric"):
        assert (finished_run / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (finished_run / "figures" / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.browser
def test_html_report_is_self_contained_and_escaped_in_chromium(finished_run: Path) -> None:
    html = (finished_run / "report.html").read_text()
    assert "http://" not in html and "https://" not in html
    requested: list[str] = []
    with chromium_browser() as browser:
        page = browser.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.goto((finished_run / "report.html").as_uri())
        page.wait_for_load_state("load")
        assert page.title() == "report-test — crucible-harness report"
        assert page.evaluate("window.__pwned") is None
        assert HOSTILE in page.inner_text("#description")
        assert HOSTILE_IMG in page.inner_text("#hypothesis")
        assert page.locator("tr.condition").count() == 2
        assert page.locator("tr.comparison").count() == 1
        assert "window.__pwned = 3" in page.inner_text("#dead-letters")
        widths = page.evaluate("Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)")
        assert len(widths) == 3 and all(w > 100 for w in widths)
    assert all(url.startswith(("file://", "data:")) for url in requested), requested


def test_notebook_reloads_parquet_and_recomputes_the_main_table(finished_run: Path) -> None:
    from nbclient import NotebookClient

    notebook = nbformat.read(finished_run / "report.ipynb", as_version=4)
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(finished_run)}}
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    table = json.loads(next(line for line in printed.splitlines() if line.startswith('{"fn"')))
    report_json = json.loads((finished_run / "report.json").read_text())
    for condition in report_json["analysis"]["conditions"]:
        metric = condition["metrics"][0]
        recomputed = table[condition["name"]]
        assert recomputed["exact_match"] == pytest.approx(metric["mean"], abs=1e-12)
        assert recomputed["n_items.exact_match"] == metric["n_items"]
    assert report_json["analysis"]["conclusion"] in printed


def test_report_rewrites_requested_formats(finished_run: Path, tmp_path: Path) -> None:
    (finished_run / "report.md").unlink()
    written = report(finished_run, ["md", "json"], figures=False)
    assert set(written) == {"markdown", "json"} and written["markdown"].is_file()
    with pytest.raises(Exception, match="formats"):
        report(finished_run, ["docx"])


def test_reports_without_metrics(tmp_path: Path, items: Callable[[int], list[dict[str, Any]]]) -> None:
    async def constant(item: Item, ctx: TaskContext) -> str:
        return "same"

    exp = Experiment(
        name="no-metrics", dataset={"items": items(4)}, conditions=[Condition("c", fn=constant)],
        outputs={"formats": ["markdown", "html", "latex", "json"], "progress": "quiet"},
    )  # fmt: skip
    result = run(exp, output_dir=tmp_path / "run")
    assert result.analysis.primary_metric is None and "No metric was recorded" in result.analysis.conclusion
    assert "No metric was recorded" in (tmp_path / "run" / "report.md").read_text()
    assert not (tmp_path / "run" / "figures" / "metric_by_condition.png").exists()


def test_robustness_tables_metadata_and_the_test_family_in_every_format(
    tmp_path: Path, items: Callable[[int], list[dict[str, Any]]]
) -> None:
    async def fragile(item: Item, ctx: TaskContext) -> str:
        # right on clean items, wrong on most perturbed ones
        return str(item.expected) if ctx.variant == "clean" or int(item.id[1:]) % 3 == 0 else "?"

    async def steady(item: Item, ctx: TaskContext) -> str:
        return str(item.expected) if int(item.id[1:]) % 4 else "?"

    exp = Experiment(
        name="family", author="Ada Lovelace", tags=("robustness", "demo_tag"), dataset={"items": items(30)},
        conditions=[
            Condition("fragile", fn=fragile, attacks=["homoglyph", "keyboard_typo"], description="breaks easily"),
            Condition("steady", fn=steady, description="a constant baseline"),
        ],
        metrics=["exact_match"],
        outputs={"formats": ["markdown", "latex", "html", "json"], "progress": "quiet", "figures": False},
    )  # fmt: skip
    result = run(exp, output_dir=tmp_path / "run")
    analysis = result.analysis
    assert len(analysis.comparisons) == 1 and len(analysis.robustness) == 2 and analysis.family_size == 3
    assert result.author == "Ada Lovelace" and result.tags == ("robustness", "demo_tag")
    assert result.condition_descriptions == {"fragile": "breaks easily", "steady": "a constant baseline"}

    markdown = (tmp_path / "run" / "report.md").read_text()
    family = "across all 3 tests of this report (1 pairwise comparison and 2 attack tests)"
    assert family in markdown
    assert "| Author | Ada Lovelace |" in markdown and "| Tags | robustness, demo_tag |" in markdown
    assert "| fragile | breaks easily |" in markdown
    tex = (tmp_path / "run" / "report.tex").read_text()
    assert family in tex and r"Author & Ada Lovelace" in tex and r"robustness, demo\_tag" in tex
    assert "breaks easily" in tex
    robustness_tex = tex[tex.index(r"\section*{Robustness}") :]
    assert r"Test & $p$ & adj.\ $p$ \\" in robustness_tex
    for attack in analysis.robustness:
        prefix = f"fragile & {escape_tex(attack.attack)} & "
        line = next(row for row in robustness_tex.splitlines() if row.startswith(prefix))
        assert f"& {escape_tex(attack.test)} & " in line
        assert line.rstrip(" \\").endswith(f"& {escape_tex(fmt_p(attack.p_adjusted))}")
    html = (tmp_path / "run" / "report.html").read_text()
    assert family in html and 'id="author">Ada Lovelace' in html and "a constant baseline" in html
