import json
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlan.data.mixture import (
    build_mixture,
    language_count,
    quotas,
    sample_indices,
    split_evenly,
    write_json,
)
from mlan.data.records import Record
from mlan.errors import ConfigError
from mlan.names import Mix, Run

PAPER_GROUPS = {
    "text": {"qa": ["squad", "cosmosqa"], "cr": ["strategyqa", "commonsenseqa", "arc"]},
    "vision": {"qa": ["vqav2"], "cr": ["aokvqa"]},
}
MODALITY = {name: modality for modality, tasks in PAPER_GROUPS.items() for names in tasks.values() for name in names}
TASK = {name: task for tasks in PAPER_GROUPS.values() for task, names in tasks.items() for name in names}
percents = st.sampled_from([0, 6, 12.5, 25, 37.5, 50, 62.5, 75, 87.5, 100]) | st.integers(0, 100)


@given(budget=st.integers(1, 200_000), percent=percents)
def test_quotas_sum_exactly_and_honour_the_ratio(budget, percent):
    result = quotas(budget, percent, PAPER_GROUPS)
    assert sum(result.values()) == budget
    language = sum(q for name, q in result.items() if MODALITY[name] == "text")
    exact = Fraction(budget) * Fraction(percent) / 100
    assert abs(language - exact) <= Fraction(1, 2)
    assert language == language_count(budget, percent)


@given(budget=st.integers(1, 200_000), percent=percents)
def test_tasks_get_halves_and_datasets_equal_shares(budget, percent):
    result = quotas(budget, percent, PAPER_GROUPS)
    for tasks in PAPER_GROUPS.values():
        per_task = [sum(result.get(name, 0) for name in names) for names in tasks.values()]
        assert max(per_task) - min(per_task) <= 1
        for names in tasks.values():
            shares = [result.get(name, 0) for name in names]
            assert max(shares) - min(shares) <= 1


def test_paper_quotas():
    assert quotas(80000, 100, PAPER_GROUPS) == {
        "squad": 20000,
        "cosmosqa": 20000,
        "strategyqa": 13334,
        "commonsenseqa": 13333,
        "arc": 13333,
    }
    mlan_v = quotas(80000, 87.5, PAPER_GROUPS)
    assert (mlan_v["vqav2"], mlan_v["aokvqa"], mlan_v["squad"]) == (5000, 5000, 17500)
    llava = quotas(80000, 6, PAPER_GROUPS)
    assert sum(q for n, q in llava.items() if MODALITY[n] == "text") == 4800


def test_missing_task_dataset_is_an_error():
    with pytest.raises(ConfigError, match="no vision 'cr' dataset"):
        quotas(100, 50, {"text": PAPER_GROUPS["text"], "vision": {"qa": ["vqav2"], "cr": []}})


@given(total=st.integers(0, 10**6), parts=st.integers(1, 9))
def test_split_evenly(total, parts):
    shares = split_evenly(total, parts)
    assert sum(shares) == total and max(shares) - min(shares) <= 1 and shares == sorted(shares, reverse=True)


@given(available=st.integers(1, 300), quota=st.integers(0, 900), seed=st.integers(0, 2**32))
def test_bootstrap_only_when_short(available, quota, seed):
    import random

    picked = sample_indices(available, quota, random.Random(seed))
    assert len(picked) == quota and all(0 <= i < available for i in picked)
    if quota <= available:
        assert len(set(picked)) == quota  # without replacement
    else:
        assert set(range(available)) <= set(picked)  # every row once, then draws
        assert Counter(picked[:available]) == Counter(range(available))


def test_mix_and_run_names_round_trip():
    assert str(Mix(87.5, 80000)) == "lang87.5_n80000"
    assert str(Mix(100.0, 20000)) == "lang100_n20000"
    assert Mix.parse("lang12.5_n80000") == Mix(Fraction(25, 2), 80000)
    assert Mix.parse("lang12.5_n80000").percent == Fraction(25, 2)
    assert sorted([Mix(50, 480), Mix(100, 240), Mix(0, 480)]) == [Mix(100, 240), Mix(0, 480), Mix(50, 480)]
    with pytest.raises(ConfigError, match="lang<percent>_n<budget>"):
        Mix.parse("mlan_80k")
    with pytest.raises(ConfigError, match="not within 0..100"):
        Mix.parse("lang150_n80")
    run = Run.parse("tiny", "lang12.5_n480_seed7")
    assert (run.mix, run.seed, run.name, str(run)) == (
        Mix(12.5, 480),
        7,
        "lang12.5_n480_seed7",
        "tiny/lang12.5_n480_seed7",
    )
    assert Run.parse("tiny", "pretrain") == Run("tiny") and Run("tiny").is_pretrain
    with pytest.raises(ConfigError, match="not a run name"):
        Run.parse("tiny", "lang12.5_n480")


def fake_records(name, count):
    vision = MODALITY[name] == "vision"
    return [
        Record(
            id=f"{i}",
            dataset=name,
            task=TASK[name],
            modality=MODALITY[name],
            answer_type="short",
            question=f"q{i}?",
            answer=f"a{i}",
            image=f"{name}/{i}.png" if vision else None,
        )
        for i in range(count)
    ]


SIZES = {"squad": 50, "cosmosqa": 30, "strategyqa": 5, "commonsenseqa": 20, "arc": 8, "vqav2": 40, "aokvqa": 3}


@pytest.mark.parametrize("percent,budget", [(0, 60), (6, 100), (50, 97), (87.5, 160), (100, 120)])
def test_built_mixture_matches_its_stats(instructions, percent, budget):
    records = {name: fake_records(name, size) for name, size in SIZES.items()}
    mixture = build_mixture(records, PAPER_GROUPS, budget, percent, 42, instructions)
    expected = quotas(budget, percent, PAPER_GROUPS)
    assert len(mixture.instances) == budget == mixture.stats["totals"]["total"]
    assert Counter(i["dataset"] for i in mixture.instances) == Counter({k: v for k, v in expected.items() if v})
    for name, entry in mixture.stats["datasets"].items():
        assert entry["quota"] == expected[name]
        assert entry["bootstrapped"] == max(0, entry["quota"] - SIZES[name])
        assert entry["unique"] == min(entry["quota"], SIZES[name])
    for instance in mixture.instances:
        first = instance["conversations"][0]["value"]
        assert ("image" in instance) == first.startswith("<image>\n") == (MODALITY[instance["dataset"]] == "vision")
        assert instance["conversations"][1]["value"].split(" the direct answer is: ")[1].startswith("a")
    assert len({i["id"] for i in mixture.instances}) == budget


def test_same_seed_same_bytes_other_seed_other_bytes(instructions, tmp_path):
    records = {name: fake_records(name, size) for name, size in SIZES.items()}
    paths = []
    for run, seed in enumerate([1, 1, 2]):
        mixture = build_mixture(records, PAPER_GROUPS, 200, 50, seed, instructions)
        paths.append(tmp_path / f"{run}.json")
        write_json(mixture.instances, paths[-1])
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()
    assert json.loads(paths[0].read_text())[0]["conversations"]


@settings(max_examples=25, deadline=None)
@given(budget=st.integers(1, 400), percent=percents, seed=st.integers(0, 1000))
def test_built_mixture_properties(instructions, budget, percent, seed):
    records = {name: fake_records(name, size) for name, size in SIZES.items()}
    mixture = build_mixture(records, PAPER_GROUPS, budget, percent, seed, instructions)
    totals = mixture.stats["totals"]
    assert totals["language"] == language_count(budget, percent) and totals["total"] == budget


def test_a_run_owns_its_paths_and_the_rules_patterns_match_them():
    """Each file target is spelled once (mlan.names): a run fills in the rules' pattern, and
    a run made from a scores row's columns has the name the row's files carry."""
    import re

    from mlan import names

    run = Run("tiny", Mix(12.5, 480), 7)
    assert run.model_folder == "results/models/tiny/lang12.5_n480/seed7"
    assert Run("tiny").model_folder == "results/models/tiny/pretrain"
    assert run.mix.folder(run.seed) == "results/mixtures/lang12.5_n480/seed7"
    assert run.token_file == "results/tokens/tiny/lang12.5_n480/seed7.json"
    assert run.score_file == "results/scores/tiny/lang12.5_n480_seed7.csv"
    assert run.eval_file("pope") == "results/eval/tiny/lang12.5_n480_seed7/pope.json"
    assert Run("tiny").eval_file("pope", "predictions") == "results/eval/tiny/pretrain/pope.predictions.jsonl"
    assert Run.of("tiny", 12.5, 480.0, "7") == run and Run.of("tiny", None, None, None) == Run("tiny")
    # the wildcard patterns the rules use read back the run they were filled with
    for pattern, path in [(names.FINETUNED_MODEL, run.model_folder), (names.SCORE_FILE, run.score_file)]:
        regex = re.escape(pattern).replace(r"\{", "{").replace(r"\}", "}")
        regex = regex.format(model="(?P<model>[^/]+)", mix=f"(?P<mix>{names.MIX_PATTERN})", seed=r"(?P<seed>\d+)",
                             run=f"(?P<run>{names.RUN_PATTERN})")  # fmt: skip
        found = re.fullmatch(regex, path).groupdict()
        parsed = (
            Run.parse(found["model"], found["run"])
            if "run" in found
            else Run(found["model"], Mix.parse(found["mix"]), int(found["seed"]))
        )
        assert parsed == run
