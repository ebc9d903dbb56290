"""The pages as a reader sees them: report.html and the archive in headless Chromium.

One small study on the real reference data (daily Binance candles and the Farside ETF tables
of ``FLOWIMPACT_SHARED_DATA``), run once for the module; one browser for the module. Pages open
from ``file://`` with every other request aborted and counted, so a page that reaches for the
network fails here even though it would still render.

The browser is the OS package (Debian: ``apt-get install chromium``; ``.ci/run`` installs it),
driven through Playwright's Python API with ``executable_path``: Playwright's own browser
download cannot work without the internet. A missing browser fails the tests, it never skips
them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tomli_w

import feeds
from backtest.run import RunResult, run_study
from backtest.study.config import load_study

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path(os.environ.get("FLOWIMPACT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREEN = {"width": 1366, "height": 768}
#: a phone (iPhone 12 to 15: 390 x 844 CSS px, 3 device px per CSS px, touch)
PHONE = {"width": 390, "height": 844}
PHONE_DEVICE = {"device_scale_factor": 3, "is_mobile": True, "has_touch": True}
#: the smallest text a phone reader should get, in CSS px
MIN_TEXT_PX = 12
STUDY = {
    "study": {"name": "browser test study", "start": "2025-06-01"},
    "paths": {"n_paths": 8, "horizon_end": "2026-12-31"},
    "inflow": {
        "allocation": [0.01, 0.02],
        "lag_months": [6, 12],
        "ramp_months": 12,
        "reallocation_share": [0.25, 1.0],
    },
    # the evidence axis on the Farside tables: the report leads with the answer by φ
    "impact": {"model": "multiplier", "etf_explained_share": [0.1, 1.0]},
}


@dataclass
class Opened:
    """A page after load, with what it tried to fetch and what it logged as errors."""

    page: object
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install it (Debian: `apt-get update && apt-get install "
            "-y chromium`; .ci/run does this) or point FLOWIMPACT_CHROMIUM at the binary"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def study_run(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> RunResult:
    root = tmp_path_factory.mktemp("browser")
    store = feeds.CandleStore(root / "data")
    for name in ("binance_BTCUSDT_1d.csv", "binance_ETHUSDT_1d.csv"):
        feeds.import_csv(shared_data / "prices" / name, store)
    for path in sorted((shared_data / "etf_flows").glob("*.csv")):
        feeds.import_csv(path, store)
    study_file = root / "study.toml"
    study_file.write_text(tomli_w.dumps(STUDY), encoding="utf-8")
    return run_study(load_study(study_file), root / "data", root / "out", progress=False)


@contextlib.contextmanager
def open_page(
    browser: object, path: Path, screen: dict[str, int] = SCREEN, **device: object
) -> Iterator[Opened]:
    """Open ``path`` from file:// at ``screen`` (1366x768); anything not file: is aborted and
    recorded. ``device``: more of Playwright's context options (a phone's)."""
    context = browser.new_context(viewport=screen, **device)
    page = context.new_page()
    opened = Opened(page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: opened.errors.append(str(exc)))

    def route(route: object) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            opened.requests.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function(
        "[...document.querySelectorAll('.plotly-graph-div')].every(d => d._fullLayout)"
    )
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture(scope="module")
def report(browser: object, study_run: RunResult) -> Iterator[Opened]:
    with open_page(browser, study_run.report_path) as opened:
        yield opened


def test_the_report_asks_nothing_of_the_network_and_logs_no_error(report: Opened) -> None:
    assert report.requests == []
    assert report.errors == []


def test_every_figure_is_drawn(report: Opened) -> None:
    page = report.page
    divs = page.locator(".plotly-graph-div")
    assert divs.count() >= 6  # answer, two fan charts, flows, event study, flow comparison, ...
    undrawn = page.evaluate(
        "[...document.querySelectorAll('.plotly-graph-div')]"
        ".filter(d => !d.querySelector('.main-svg') || !d._fullData).map(d => d.id)"
    )
    assert undrawn == []
    # drawn means lines on the plot, not an empty frame
    empty = page.evaluate(
        "[...document.querySelectorAll('.plotly-graph-div')]"
        ".filter(d => d.querySelectorAll("
        "'.scatterlayer .trace, .barlayer .trace, .heatmaplayer .hm').length === 0)"
        ".map(d => d.id)"
    )
    assert empty == []


def test_every_section_link_lands_on_its_section(report: Opened) -> None:
    page = report.page
    links = page.evaluate("[...document.querySelectorAll('nav a')].map(a => a.hash)")
    assert len(links) >= 6
    for anchor in links:
        page.click(f"nav a[href='{anchor}']")
        page.wait_for_function(f"location.hash === '{anchor}'")
        top = page.evaluate(f"document.getElementById('{anchor[1:]}').getBoundingClientRect().top")
        assert abs(top) < 5 or _at_page_end(page), (anchor, top)
        page.evaluate("window.scrollTo(0, 0)")


def _at_page_end(page: object) -> bool:
    """A section near the end cannot scroll to the top of the window; it must be in view."""
    return bool(
        page.evaluate(
            "Math.ceil(window.scrollY + window.innerHeight) >= document.body.scrollHeight - 1"
        )
    )


def test_the_answer_by_phi_is_in_the_first_screen(report: Opened) -> None:
    page = report.page
    page.evaluate("window.scrollTo(0, 0)")
    box = page.evaluate(
        "(() => { const t = document.querySelector('#the-answer-by-what-the-etf-flows-did ~ "
        ".answer-phi table'); const r = t.getBoundingClientRect();"
        " return [r.top, r.bottom, r.left, r.right]; })()"
    )
    top, bottom, left, right = box
    assert top >= 0 and bottom <= SCREEN["height"], box
    assert left >= 0 and right <= SCREEN["width"], box
    assert "φ" in page.inner_text(".answer-phi")


def test_the_uplift_against_phi_chart_draws_a_line_per_reading(report: Opened) -> None:
    page = report.page
    chart = _first_chart_of(page, "the-answer-by-what-the-etf-flows-did")
    names = page.evaluate(
        f"document.getElementById('{chart}').data.filter(t => t.name).map(t => t.name)"
    )
    # one named line per model and reallocation reading in each of the 2 x 2 panels
    assert sorted(set(names)) == ["multiplier, reallocation 0.25", "multiplier, reallocation 1"]
    axis = page.evaluate(f"document.getElementById('{chart}').layout.xaxis.type")
    assert axis == "log"


def test_the_dollars_and_their_reason_stand_beside_the_answer(report: Opened) -> None:
    page = report.page
    text = page.inner_text(".answer")
    assert "$87 bn" in text  # 1 % of $8.7 T, the sources' arithmetic
    assert "reallocation_share" in text and "as the sources count it" in text
    for setting in ("ramp_months", "lag_months", "payroll", "withdrawal_rate_per_year"):
        assert setting in text, setting


def _visible_traces(page: object, div_id: str) -> list[object]:
    return page.evaluate(
        f"document.getElementById('{div_id}').data.map(t => t.visible === undefined ? true "
        ": t.visible)"
    )


def _first_chart_of(page: object, section: str) -> str:
    """The id of the first figure after the section heading ``section``."""
    return page.evaluate(
        f"(() => {{ let n = document.getElementById('{section}').nextElementSibling;"
        " while (n && !n.querySelector('.plotly-graph-div')) { n = n.nextElementSibling; }"
        " return n.querySelector('.plotly-graph-div').id; })()"
    )


def _legend(page: object, div_id: str) -> list[str]:
    return page.evaluate(
        f"[...document.getElementById('{div_id}').querySelectorAll('.legend .traces')]"
        ".map(t => t.textContent)"
    )


def test_the_fan_chart_shows_one_scenario_against_the_grey_baseline(report: Opened) -> None:
    page = report.page
    div_id = _first_chart_of(page, "price-paths")
    chart = f"[id='{div_id}']"
    before = _visible_traces(page, div_id)
    assert _legend(page, div_id) == ["baseline (no 401(k) inflow)", "chosen scenario", "history"]
    colours = page.evaluate(
        f"document.getElementById('{div_id}').data.filter(t => t.name && t.showlegend !== false)"
        ".map(t => [t.name, t.line.color])"
    )
    assert dict(colours)["history"] == "#000000"
    assert dict(colours)["baseline (no 401(k) inflow)"] == "#9a9a9a"
    # one scenario's band (3 traces) at a time, whatever the grid
    shown = page.evaluate(
        f"document.getElementById('{div_id}').data.filter(t => t.visible !== false && t.meta)"
        ".map(t => t.meta.pick)"
    )
    assert len(shown) == 3 and all(t == shown[0] for t in shown)
    # the headline's values first: 1% allocation (the study lists it first anyway)
    assert shown[0]["allocation"] == "0.01" and shown[0]["reallocation_share"] == "0.25"
    menus = page.locator(f"{chart} .updatemenu-header-group")
    # allocation, lag_months, reallocation_share and etf_explained_share
    assert menus.count() == 4
    names = [menus.nth(i).text_content() for i in range(4)]
    lag = next(i for i, n in enumerate(names) if "lag_months: 6" in n)
    menus.nth(lag).click()
    page.locator(f"{chart} .updatemenu-dropdown-button").nth(1).click()
    page.wait_for_function(
        f"JSON.stringify(document.getElementById('{div_id}').data.map(t => t.visible)) !== "
        f"{json.dumps(json.dumps(before))}"
    )
    after = _visible_traces(page, div_id)
    assert sum(v is True for v in after) == sum(v is True for v in before)  # swapped, not added
    assert "lag_months: 12" in menus.nth(lag).text_content()
    shown = page.evaluate(
        f"document.getElementById('{div_id}').data.filter(t => t.visible === true && t.meta)"
        ".map(t => t.meta.pick)"
    )
    assert shown and all(
        t["allocation"] == "0.01" and t["lag_months"] == "12"
        and t["reallocation_share"] == "0.25" and len(t) == 4
        for t in shown
    )


def test_the_answer_charts_use_log_panels_and_a_heatmap(report: Opened) -> None:
    page = report.page
    figures = page.evaluate(
        "(() => { let n = document.getElementById('the-answer').nextElementSibling; const out = [];"
        " while (n && n.tagName !== 'H2') { n.querySelectorAll('.plotly-graph-div').forEach("
        "d => out.push(d.id)); if (n.classList && n.classList.contains('plotly-graph-div'))"
        " out.push(n.id); n = n.nextElementSibling; } return out; })()"
    )
    assert len(figures) == 2, figures
    uplift, heatmap = figures
    axes = page.evaluate(
        f"Object.keys(document.getElementById('{uplift}')._fullLayout)"
        ".filter(k => k.startsWith('yaxis')).map(k => "
        f"document.getElementById('{uplift}')._fullLayout[k].type)"
    )
    assert axes == ["log", "log"]  # a panel per asset, each its own log axis
    cells = page.evaluate(f"document.getElementById('{heatmap}').data[0]")
    assert cells["type"] == "heatmap"
    assert page.locator(f"[id='{heatmap}'] .heatmaplayer image, [id='{heatmap}'] .hm").count()
    assert len(cells["x"]) == 2  # the two allocations


def test_the_flow_comparison_legend_stays_short(report: Opened) -> None:
    page = report.page
    entries = _legend(page, _first_chart_of(page, "etf-flows-beside-the-401-k--scenarios"))
    # two ETF lines, then one line per allocation and asset: 2 + 2 x 2, not one per scenario
    assert len(entries) == 6, entries
    assert sum("spot ETFs" in e for e in entries) == 2


# --- the archive -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive(study_run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scheduler.job import run_once
    from scheduler.steps import UpdateSteps

    out = tmp_path_factory.mktemp("archive") / "reports"

    def study(staging: Path, _now: datetime) -> None:
        for path in study_run.out_dir.iterdir():
            shutil.copy2(path, staging / path.name)

    steps = UpdateSteps(fetch=lambda _now: None, study=study)
    outcome = run_once(
        datetime(2026, 1, 6, 0, 15, tzinfo=UTC),
        steps=steps,
        data_dir=study_run.out_dir.parent / "data",
        out_dir=out,
        keep_days=30,
    )
    assert outcome.ok, outcome.describe()
    return out


def test_the_archive_links_the_days_report_and_the_link_works(
    browser: object, archive: Path
) -> None:
    with open_page(browser, archive / "index.html") as opened:
        page = opened.page
        assert opened.requests == [] and opened.errors == []
        link = page.locator("a[href='2026-01-06/report.html']")
        assert link.count() == 1
        assert page.locator(".plotly-graph-div .main-svg").count() >= 1
        link.click()
        page.wait_for_load_state("load")
        assert page.url.endswith("/2026-01-06/report.html")
        assert "browser test study" in page.inner_text("body")
        assert opened.requests == []


# --- a phone -----------------------------------------------------------------------------------

#: every element that holds text of its own (SVG text inside charts excluded: plotly scales it)
_SMALLEST_TEXT = """
(() => {
  const small = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') || el.closest('.plotly-graph-div')) { continue; }
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) { continue; }
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') { continue; }
    const size = parseFloat(style.fontSize);
    if (size < MIN_TEXT_PX) { small.push([el.tagName, size, el.textContent.trim().slice(0, 40)]); }
  }
  return small;
})()
""".replace("MIN_TEXT_PX", str(MIN_TEXT_PX))

_OVERFLOW = (
    "[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]"
)


def _reads_on_a_phone(page: object) -> None:
    scroll_html, scroll_body, inner = page.evaluate(_OVERFLOW)
    assert inner == PHONE["width"]  # the viewport tag: laid out at the phone's width, not 980
    assert scroll_html <= inner and scroll_body <= inner, (scroll_html, scroll_body, inner)
    assert page.evaluate(_SMALLEST_TEXT) == []
    wide = page.evaluate(
        "[...document.querySelectorAll('.plotly-graph-div')]"
        f".filter(d => d.getBoundingClientRect().right > {PHONE['width']} + 1).map(d => d.id)"
    )
    assert wide == []


def test_the_report_reads_on_a_phone(browser: object, study_run: RunResult) -> None:
    with open_page(browser, study_run.report_path, PHONE, **PHONE_DEVICE) as opened:
        _reads_on_a_phone(opened.page)
        assert opened.requests == [] and opened.errors == []


def test_the_archive_reads_on_a_phone(browser: object, archive: Path) -> None:
    for page_path in (archive / "index.html", archive / "2026-01-06" / "report.html"):
        with open_page(browser, page_path, PHONE, **PHONE_DEVICE) as opened:
            _reads_on_a_phone(opened.page)
            assert opened.requests == [] and opened.errors == []


def test_the_archive_pages_share_one_plotly_file(archive: Path) -> None:
    from plotly.offline import get_plotlyjs

    shared = list(archive.glob("plotly-*.min.js"))
    assert len(shared) == 1
    for page_path in (archive / "index.html", archive / "2026-01-06" / "report.html"):
        text = page_path.read_text(encoding="utf-8")
        assert get_plotlyjs() not in text and shared[0].name in text
