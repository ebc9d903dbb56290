"""Print the module table of docs/architecture.md: every module and its docstring's first line."""

import ast
import pathlib

rows=[]
for pkg in ("flowimpact","feeds","strategies","backtest","scheduler"):
    for p in sorted(pathlib.Path(pkg).rglob("*.py")):
        doc = ast.get_docstring(ast.parse(p.read_text())) or ""
        first = " ".join(doc.strip().split("\n\n")[0].split())
        if len(first) > 160:
            first = first[:157].rsplit(" ",1)[0] + " ..."
        first = first.replace("|", "\\|")
        rows.append((str(p.parent), p.name, first))
rows.sort()
cur=None
out=[]
for folder, name, doc in rows:
    if folder != cur:
        out.append(f"\n### `{folder}/`\n\n| module | job |\n|---|---|")
        cur = folder
    out.append(f"| `{name}` | {doc} |")
print("\n".join(out))
