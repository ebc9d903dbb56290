"""The docs follow the code: docs/architecture.md names every module of the five packages."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flowimpact", "feeds", "strategies", "backtest", "scheduler")


def test_architecture_lists_every_module() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            folder = f"### `{path.parent.relative_to(ROOT).as_posix()}/`"
            section = text.split(folder, 1)[1].split("\n### ", 1)[0] if folder in text else ""
            if f"| `{path.name}` |" not in section:
                missing.append(str(path.relative_to(ROOT)))
    assert not missing, "add to docs/architecture.md (scripts/module_map.py): " + ", ".join(missing)


def test_docs_do_not_point_outside_the_repository() -> None:
    for doc in (ROOT / "docs").glob("*.md"):
        assert "../shared" not in doc.read_text(encoding="utf-8"), doc.name
