"""Bad or ambiguous scores files are named by line; no run is dropped from a table (mlan.results)."""

import copy

import pytest
import yaml
from conftest import ROOT

from mlan.grid import PAPER_METHODS, Grid

PAPER = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())


HEADER = "model,method,mix,percent,budget,seed,benchmark,metric,score\n"


ROW = "llama2,mlan,lang100_n80000,100,80000,42,boolq,accuracy,{score}\n"


def scored(grid: Grid, folder):
    """Table 1's rows of a grid as the pipeline writes them (run_scores), every benchmark of
    every method run scored by hand: 50 + the run's % language data (Pretrain 10)."""
    import json

    import pandas as pd

    from mlan.results.scores import BENCHMARKS, COLUMNS, HEADLINE, read_scores, run_rows

    rows = []
    for run in grid.method_runs():
        files = []
        for benchmark in BENCHMARKS:
            value = 10.0 if run.is_pretrain else 50.0 + run.mix.percent / 10
            path = folder / f"{run.model}-{run.name}-{benchmark}.json"
            path.write_text(
                json.dumps({"benchmark": benchmark, "metrics": {HEADLINE.get(benchmark, "accuracy"): value}})
            )
            files.append(path)
        rows += run_rows(files, run, grid.run_methods(run))
    pd.DataFrame(rows, columns=COLUMNS).to_csv(folder / "scores.csv", index=False)
    return read_scores([folder / "scores.csv"])


def with_methods(methods: dict) -> Grid:
    config = copy.deepcopy(PAPER)
    config["models"]["llama2"]["methods"] = methods
    return Grid(config)


@pytest.mark.parametrize(
    "rows,message",
    [
        ([ROW.format(score="")], r"line 2: the score of boolq accuracy is not a number"),
        ([ROW.format(score="2150")], r"line 2: score 2150.0 of boolq accuracy is outside 0-100"),
        ([ROW.format(score="70"), ROW.replace("boolq", "mmlu").format(score="50")],
         r"line 3: unknown benchmark 'mmlu'"),
        ([ROW.format(score="70"), ROW.format(score="60")],
         r"scores disagree for model llama2.*boolq accuracy: \[60\.0, 70\.0\]"),
    ],
)  # fmt: skip
def test_the_results_cli_refuses_a_bad_scores_file_naming_the_line(tmp_path, rows, message):
    from mlan.results.cli import main as render

    path = tmp_path / "scores.csv"
    path.write_text(HEADER + "".join(rows))
    with pytest.raises(ValueError, match=message):
        render(["table1", "--scores", str(path), "--out", str(tmp_path / "out")])


def test_identical_duplicate_rows_are_one_score(tmp_path):
    from mlan.results.scores import read_scores

    path = tmp_path / "scores.csv"
    path.write_text(HEADER + ROW.format(score="70") + ROW.format(score="70"))
    assert read_scores([path])["score"].tolist() == [70.0, 70.0]


def test_a_method_name_the_paper_lacks_keeps_its_own_row_and_is_named_at_start_up(tmp_path):
    from mlan.results.scores import METHODS
    from mlan.results.tables import table1

    assert tuple(METHODS) == PAPER_METHODS
    grid = with_methods({"llava": 6, "cambrain": 25, "mlan": 100, "mlan_v": 87.5})
    assert grid.notes() == [
        "models.llama2.methods: cambrain is not one of the paper's methods (pretrain, llava, cambrian, mlan, "
        "mlan_v): its Table 1 row is labelled by that name and no published cell is compared to it"
    ]
    numbers, shown = table1(scored(grid, tmp_path))
    llama = shown[shown["Model"] == "llama2"]
    assert llama["Method"].tolist() == ["Pretrain", "LLaVA", "MLAN", "MLAN_v", "cambrain"]
    assert llama.set_index("Method").loc["cambrain", "Language average"] == "52.5 (+42.5)"


def test_two_methods_of_one_ratio_each_get_their_row_and_the_grid_counts_the_run_once(tmp_path):
    from mlan.results.tables import table1, table5

    grid = with_methods({"llava": 6, "cambrian": 25, "mlan": 100, "mlan_v": 100})
    assert "models.llama2.methods: mlan, mlan_v all train on lang100_n80000" in grid.notes()[0]
    scores = scored(grid, tmp_path)
    numbers, shown = table1(scores)
    llama = numbers[numbers["model"] == "llama2"].set_index("method")
    assert llama.loc["mlan", "overall_avg"] == llama.loc["mlan_v", "overall_avg"] == 60.0
    assert llama.loc["mlan", "seeds"] == 1
    ratio, _ = table5(scores[scores["mix"] != ""])
    assert ratio.set_index(["model", "percent"]).loc[("llama2", 100.0), "seeds"] == 1  # not two seeds
