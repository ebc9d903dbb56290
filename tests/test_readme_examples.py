"""README.md's Python blocks run as written, in order, in one fresh process (as a notebook would).

The process starts in an empty folder (the blocks' relative paths land there) with
FLOWIMPACT_SHARED_DATA pointing at the reference CSVs; a failing block is named by its number.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
DRIVER = """
import json, sys
namespace = {"__name__": "__main__"}
for number, block in enumerate(json.load(open(sys.argv[1], encoding="utf-8")), start=1):
    print(f"block {number}", flush=True)
    exec(compile(block, f"README.md python block {number}", "exec"), namespace)
print(json.dumps({"answer_rows": len(namespace["result"].answer())}))
"""


def python_blocks(text: str) -> list[str]:
    return BLOCK.findall(text)


def test_the_block_pattern_finds_python_blocks_only() -> None:
    text = "```python\na = 1\n```\n```bash\nls\n```\n```python\nb = 2\n```\n"
    assert python_blocks(text) == ["a = 1\n", "b = 2\n"]


def test_every_python_block_of_the_readme_runs_as_written(
    shared_data: Path, tmp_path: Path
) -> None:
    blocks = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    source = tmp_path / "blocks.json"
    source.write_text(json.dumps(blocks), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    env = {
        **os.environ,
        "FLOWIMPACT_SHARED_DATA": str(shared_data),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(source)],
        cwd=work, env=env, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert json.loads(done.stdout.splitlines()[-1])["answer_rows"] > 0
    assert (work / "out" / "report.html").is_file()
    assert (work / "out" / "hindcast" / "hindcast.csv").is_file()
