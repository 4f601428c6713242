"""``python -m mlan.results``: the score-based tables and figures from any scores CSV in
the long format (results/scores.csv, or config/paper_scores.csv to see the paper's own
numbers drawn the same way). The rules do not use it: each artefact has its rule.

Example::

    python -m mlan.results table1 figure5 --scores config/paper_scores.csv --out paper_render
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlan.results import figures, tables
from mlan.results.scores import read_scores

TABLES = {"table1": tables.table1, "table5": tables.table5}
FIGURES = {"figure5": figures.figure5, "figure6": figures.figure6}
# A whole scores file holds both kinds of rows: Table 1 / Figure 5 draw the named methods
# (and Pretrain), whatever their names; Table 5 / Figure 6 every mixture once.
ROWS = {
    "table1": lambda s: s[s["method"] != ""],
    "figure5": lambda s: s[s["method"] != ""],
    "table5": lambda s: s[s["mix"] != ""],
    "figure6": lambda s: s[s["mix"] != ""],
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mlan.results", description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="+", choices=[*TABLES, *FIGURES])
    parser.add_argument("--scores", nargs="+", required=True, help="long-format scores CSV file(s)")
    parser.add_argument("--out", default="results", help="folder receiving tables/ and figures/")
    args = parser.parse_args(argv)
    scores = read_scores(args.scores)
    for target in args.targets:
        rows = ROWS[target](scores)
        if target in TABLES:
            paths = tables.write_table(*TABLES[target](rows), Path(args.out, "tables", target), tables.CAPTIONS[target])
        else:
            paths = FIGURES[target](rows, Path(args.out, "figures", target))
        print(*paths, sep="\n")


if __name__ == "__main__":
    main()
