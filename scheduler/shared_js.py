"""One plotly.js beside the dated reports, instead of 4.8 MB inlined in every page.

``report.html`` of ``flowimpact run --out`` inlines plotly.js so that it opens anywhere on
its own. In the archive ``OUT/`` every dated report and ``index.html`` would carry the same
copy; before a report is published, ``share_plotly`` replaces the inlined copy with a
reference to ``OUT/plotly-<version>.min.js`` (written once, atomically), relative so that the
archive still opens from ``file://`` and from any web server, and through ``OUT/latest``.
A page whose inlined copy is not this plotly's (a report written by another version) is left
self-contained. The file is named by version, so the reports of an older version keep theirs.
"""

from __future__ import annotations

from pathlib import Path

from flowimpact.atomic import atomic_write_text

_INLINE = '<script type="text/javascript">{js}</script>'


def plotly_file_name() -> str:
    """``plotly-<version>.min.js``: the shared copy of this plotly's JavaScript."""
    import plotly

    return f"plotly-{plotly.__version__}.min.js"


def ensure_plotly(out_dir: Path) -> str:
    """Write ``OUT/plotly-<version>.min.js`` unless it is there whole; returns its name."""
    from plotly.offline import get_plotlyjs

    name = plotly_file_name()
    path = Path(out_dir) / name
    script = get_plotlyjs()
    if not path.is_file() or path.stat().st_size != len(script.encode("utf-8")):
        atomic_write_text(path, script)
    return name


def script_tag(src: str) -> str:
    """The ``<script>`` element that loads the shared copy from ``src``."""
    return f'<script type="text/javascript" src="{src}" charset="utf-8"></script>'


def share_plotly(folder: Path, out_dir: Path) -> list[Path]:
    """In every ``*.html`` of ``folder`` (a report about to become ``OUT/YYYY-MM-DD``), load
    plotly.js from ``../plotly-<version>.min.js`` instead of inlining it; returns the pages
    changed."""
    from plotly.offline import get_plotlyjs

    inline = _INLINE.format(js=get_plotlyjs())
    changed = []
    for page in sorted(Path(folder).glob("*.html")):
        text = page.read_text(encoding="utf-8")
        if inline not in text:
            continue
        name = ensure_plotly(out_dir)
        atomic_write_text(page, text.replace(inline, script_tag(f"../{name}"), 1))
        changed.append(page)
    return changed


__all__ = ["ensure_plotly", "plotly_file_name", "script_tag", "share_plotly"]
