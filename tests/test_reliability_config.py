"""Config mistakes that used to pass start-up (or were silently resolved) now stop it,
naming the file, line or key; empty sets are errors, never a score of 0."""

import copy

import pytest
import yaml
from conftest import ROOT, snakemake

from mlan.benchmarks import scoring
from mlan.config import refuse_duplicate_keys
from mlan.errors import ConfigError, MlanError
from mlan.evaluation.metrics import accuracy, score
from mlan.grid import PAPER_METHODS, Grid

PAPER = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())


def test_a_key_given_twice_names_the_file_and_both_lines(tmp_path):
    path = tmp_path / "overlay.yaml"
    path.write_text("budget: 480\nmodels:\n  tiny: {methods: {mlan: 100}}\nbudget: 240\n")
    with pytest.raises(ConfigError, match=r"overlay\.yaml, line 4: key 'budget' is given twice \(first on line 1\)"):
        refuse_duplicate_keys([path])
    nested = tmp_path / "nested.yaml"
    nested.write_text("models:\n  tiny: {}\n  tiny: {}\n")
    with pytest.raises(ConfigError, match=r"line 3: key 'tiny' is given twice"):
        refuse_duplicate_keys([nested])
    refuse_duplicate_keys([ROOT / "config" / name for name in ("config.yaml", "paper.yaml", "instructions.yaml")])


def test_snakemake_refuses_a_duplicate_key_before_any_job(workflow):
    (workflow / "dup.yaml").write_text("budget: 240\nbudget: 480\n")
    result = snakemake(workflow, "-n", "--configfile=dup.yaml", check=False)
    assert result.returncode != 0 and "key 'budget' is given twice" in result.stdout + result.stderr


def test_pack_tokens_below_max_length_stops_at_start_up():
    config = copy.deepcopy(PAPER)
    config["training"]["finetune"]["pack_tokens"] = 1024
    with pytest.raises(ConfigError, match=r"training\.finetune\.pack_tokens: 1024 is below max_length \(2048\)"):
        Grid(config)


@pytest.mark.parametrize("content,problem", [(None, "does not exist"), ("{not json", "is not valid JSON")])
def test_a_missing_or_broken_deepspeed_config_stops_at_start_up(tmp_path, content, problem):
    config = copy.deepcopy(PAPER)
    path = tmp_path / "zero3.json"
    if content is not None:
        path.write_text(content)
    config["training"]["finetune"]["deepspeed"] = str(path)
    with pytest.raises(
        ConfigError, match=rf"training\.finetune\.deepspeed: the DeepSpeed config '.*zero3\.json' {problem}"
    ):
        Grid(config)


def sample(correct, modality="text"):
    return {"correct": correct, "modality": modality, "prediction": "A", "answer": "A"}


def test_no_items_is_an_error_and_a_metric_over_none_is_missing():
    assert accuracy([]) == {"accuracy": None}
    with pytest.raises(MlanError, match=r"boolq: no items to score"):
        score("boolq", [], scoring(["boolq"])["boolq"])
    # evaluation.limit 1 left ScienceQA its image items only: the paper's mean is undefined, not 50
    with pytest.raises(MlanError, match=r"scienceqa: its headline \(accuracy\) is undefined: 0 text and 2 image"):
        score("scienceqa", [sample(True, "vision"), sample(False, "vision")], scoring(["scienceqa"])["scienceqa"])
    assert score("scienceqa", [sample(True), sample(False, "vision")], scoring(["scienceqa"])["scienceqa"])[1] == 50.0


HEADER = "model,method,mix,percent,budget,seed,benchmark,metric,score\n"
ROW = "llama2,mlan,lang100_n80000,100,80000,42,boolq,accuracy,{score}\n"


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


def test_a_yaml_error_or_a_missing_config_file_is_named_with_its_line(tmp_path):
    from mlan.config import load_config_file

    path = tmp_path / "overlay.yaml"
    path.write_text("budget: 480\nseeds: [42\n")
    with pytest.raises(ConfigError, match=r"overlay\.yaml: not valid YAML: while parsing a flow sequence \(line 2, "):
        load_config_file(path)
    with pytest.raises(ConfigError, match=r"config file '.*nothere\.yaml' does not exist"):
        load_config_file(tmp_path / "nothere.yaml")
    path.write_text("- budget\n")
    with pytest.raises(ConfigError, match=r"overlay\.yaml: a config file holds keys \(a mapping\), not a list"):
        load_config_file(path)


def test_preflight_checks_configfiles_snakemake_reads_before_the_workflow(tmp_path, capsys):
    """Snakemake parses --configfile before any project code runs: `python -m mlan.preflight`
    gives the same start-up checks with the file, line and key."""
    from mlan.preflight import main as preflight

    preflight([str(ROOT / "config" / "paper.yaml")])
    assert capsys.readouterr().out.strip().endswith("paper.yaml: 17 finetuning runs, 19 evaluated models")
    broken = tmp_path / "broken.yaml"
    broken.write_text("models:\n  tiny: {methods: {mlan: 100}\n")
    with pytest.raises(SystemExit, match=r"error: .*broken\.yaml: not valid YAML: .*\(line 2, column 9\)"):
        preflight([str(broken)])
    ratio = tmp_path / "ratio.yaml"
    ratio.write_text("models:\n  tiny:\n    methods: {mlan: 0.00001}\n")
    with pytest.raises(
        SystemExit, match=r"models\.tiny\.methods\.mlan: 1e-05 is not a percentage of at most 6 decimals"
    ):
        preflight([str(ratio)])


@pytest.mark.parametrize(
    "percent,message",
    [
        (0.00001, r"methods\.mlan: 1e-05 is not a percentage of at most 6 decimals"),  # "lang1e-05": no rule made it
        (12.3456789, r"methods\.mlan: 12\.3456789 is not a percentage of at most 6 decimals"),
        (0.1, r"methods\.mlan: 0\.1% of budget 80000 is 80 language"),  # a valid one: no error
        (0.0001, r"methods\.mlan: 0\.0001% of budget 80000 is 0 language instances, the 0% mixture under another"),
        (99.9999, r"methods\.mlan: 99\.9999% of budget 80000 is 80000 language instances, the 100% mixture"),
    ],
)
def test_a_ratio_without_a_mixture_of_its_own_stops_at_start_up(percent, message):
    config = copy.deepcopy(PAPER)
    config["models"]["llama2"]["methods"]["mlan"] = percent
    if percent == 0.1:
        assert Grid(config).method_mix("llama2", "mlan").percent * 800 == 80
        return
    with pytest.raises(ConfigError, match=message):
        Grid(config)


def test_a_missing_section_is_named_with_the_config_files(tmp_path):
    from mlan.config import check_config

    config = copy.deepcopy(PAPER)
    del config["evaluation"]["benchmarks"]
    with pytest.raises(
        ConfigError, match=r"invalid config \(from config/paper\.yaml\):\n  config key 'evaluation': 'benchmarks' is"
    ):
        check_config(config, ROOT / "config" / "schema.yaml", ["config/paper.yaml"])


def test_snakemake_names_the_line_of_a_yaml_error_in_the_default_config(workflow):
    path = workflow / "config" / "config.yaml"
    path.write_text(path.read_text().replace("seeds: [42]", "seeds: [42", 1))
    result = snakemake(workflow, "-n", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "config/config.yaml: not valid YAML: while parsing a flow sequence (line" in output, output
