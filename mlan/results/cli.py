"""``python -m mlan.results``: render the tables, figures and comparison from a scores CSV.

Example (what the rules run, one target at a time with ``--only``)::

    python -m mlan.results --scores results/scores.csv --tokens results/tokens \\
        --diversity results/diversity.json --paper config/paper_scores.csv --out results
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mlan.results import comparison, figures, tables
from mlan.results.scores import read_scores

TARGETS = ("table1", "table2", "table5", "table6", "figure5", "figure6", "figure7", "figure8", "comparison")
CAPTIONS = {
    "table1": "Table 1: zero-shot results on the held-out benchmarks; in brackets the change versus Pretrain.",
    "table2": "Table 2: training tokens per setting; in brackets the increase over language-only.",
    "table5": "Table 5: the ratio grid (% language data) on every benchmark.",
    "table6": "Table 6: training tokens and average scores per % language data.",
}


def render(target: str, args) -> list[Path]:
    out = Path(args.out)
    scores = read_scores(args.scores) if args.scores else None
    if scores is not None and args.ratio_models and target in ("table5", "table6", "figure6"):
        scores = scores[scores["model"].isin(args.ratio_models)]
    token_files = sorted(Path(args.tokens).rglob("*.json")) if args.tokens else []
    if target in ("table2", "table6") and not token_files:
        raise SystemExit(f"error: {target} needs --tokens (a folder of token count files)")
    if (
        target.startswith(("table", "figure5", "figure6", "figure7", "comparison"))
        and target != "table2"
        and scores is None
    ):
        raise SystemExit(f"error: {target} needs --scores")
    if target == "table1":
        return tables.write_table(*tables.table1(scores), out / "tables/table1", CAPTIONS[target])
    if target == "table2":
        return tables.write_table(
            *tables.table2(tables.read_tokens(token_files)), out / "tables/table2", CAPTIONS[target]
        )
    if target == "table5":
        return tables.write_table(*tables.table5(scores), out / "tables/table5", CAPTIONS[target])
    if target == "table6":
        numbers, shown = tables.table6(scores, tables.read_tokens(token_files))
        return tables.write_table(numbers, shown, out / "tables/table6", CAPTIONS[target])
    if target in ("figure5", "figure6", "figure7"):
        return getattr(figures, target)(scores, out / f"figures/{target}")
    if target == "figure8":
        if not args.diversity:
            raise SystemExit("error: figure8 needs --diversity (the file the diversity rule writes)")
        return figures.figure8(json.loads(Path(args.diversity).read_text()), out / "figures/figure8")
    aliases = dict(item.split("=", 1) for item in args.compare_as)
    published = read_scores([args.paper])
    table = comparison.compare(scores, published, aliases)
    path = out / "comparison.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(comparison.markdown(table, aliases, sorted(set(published["model"]))))
    return [path]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mlan.results", description=__doc__.split("\n")[0])
    parser.add_argument("--scores", nargs="*", default=[], help="long-format scores CSV file(s)")
    parser.add_argument("--tokens", help="folder of token count files (results/tokens)")
    parser.add_argument("--diversity", help="the diversity analysis (results/diversity.json)")
    parser.add_argument("--paper", default="config/paper_scores.csv", help="published scores, same format")
    parser.add_argument("--compare-as", nargs="*", default=[], metavar="MODEL=PAPER_MODEL",
                        help="compare a model with a published one (e.g. tiny=llama2)")  # fmt: skip
    parser.add_argument("--ratio-models", nargs="*", default=[], help="models of Table 5/6 and Figure 6 (default all)")
    parser.add_argument("--out", default="results", help="folder receiving tables/, figures/ and comparison.md")
    parser.add_argument("--only", nargs="*", choices=TARGETS, default=None, help="render only these targets")
    args = parser.parse_args(argv)
    for target in args.only or TARGETS:
        if target == "figure8" and not args.diversity and not args.only:
            print("skipped figure8 (no --diversity given)")
            continue
        for path in render(target, args):
            print(path)


if __name__ == "__main__":
    main()
