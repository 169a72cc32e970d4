"""`make gallery`: every gallery answer (tests/gallery.py) as a PNG, and an HTML index to look
at them side by side, each with the layout facts it breaks (none, when the tests pass).

    .venv/bin/python -m tests.write_gallery [--out out/gallery]
"""

from __future__ import annotations

import argparse
import html
from pathlib import Path

from charts import choose, figure_for_answer
from charts.theme import to_png
from tests import gallery, layout_facts

TARGETS = {"gauge": 5000.0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("out/gallery"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    cells = []
    broken = 0
    for name, make in gallery.ALL.items():
        answer = make()
        fig = figure_for_answer(answer, target=TARGETS.get(name))
        assert fig is not None
        problems = layout_facts.check(fig, gallery.ALL_NAMES)
        broken += bool(problems)
        (args.out / f"{name}.png").write_bytes(to_png(fig))
        notes = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
        cells.append(
            f'<figure><a href="{name}.png"><img src="{name}.png" loading="lazy"></a>'
            f"<figcaption><b>{html.escape(name)}</b> · {choose(answer)} · "
            f"{html.escape(answer.question)}<ul>{notes}</ul></figcaption></figure>")
    page = (
        "<!doctype html><meta charset=utf-8><title>kpibot chart gallery</title><style>"
        "body{font-family:sans-serif;margin:16px;background:#f3f4f6}"
        "main{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}"
        "figure{margin:0;background:#fff;padding:8px;border-radius:6px}"
        "img{width:100%}figcaption{font-size:12px;color:#374151}ul{color:#d9443c}</style>"
        f"<h1>Chart gallery</h1><p>{len(cells)} answers, {broken} with layout problems.</p>"
        f"<main>{''.join(cells)}</main>")
    (args.out / "index.html").write_text(page, encoding="utf-8")
    print(f"{len(cells)} charts, {broken} with layout problems: {args.out / 'index.html'}")


if __name__ == "__main__":
    main()
