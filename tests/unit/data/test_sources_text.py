"""The eight text adapters: hand-written rows in each hub schema -> exact normalized records,
clear errors for bad rows, and toy copies that normalize and are reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlan.data.normalize import normalize_dataset
from mlan.data.records import read_records
from mlan.data.sources import adapter, toy_generator
from mlan.data.sources.raw import RawSource
from mlan.errors import ConfigError, RowError

TEXT_DATASETS = ("cosmosqa", "strategyqa", "commonsenseqa", "arc", "race", "boolq", "openbookqa", "hellaswag")
RACE_SKIP = "not the last question of its article"


def write_rows(path: Path, rows: list[dict]) -> None:
    """Parquet written with plain pyarrow (not the toy helper), or JSON lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)


def run(root: Path, name: str, files: dict[str, list[dict]], patterns: dict | None = None, **options):
    """Write ``files`` under ``root`` and normalize them; returns (records, skip counts)."""
    for relative, rows in files.items():
        write_rows(root / relative, rows)
    module = adapter(name)
    source = RawSource(root, module.SPEC, patterns)
    return list(module.normalize(source, None, **options)), dict(source.skipped)


def without_doc(meta: dict) -> dict:
    """A record's meta but the hub fields kept for the official prompts
    (tests/unit/evaluation/test_official_fidelity.py)."""
    return {key: value for key, value in meta.items() if key != "doc"}


def summary(records) -> list[tuple]:
    return [(r.id, r.question, r.context, r.choices, r.answer) for r in records]


# --- what each dataset is (paper, Table 3) -------------------------------------------------


@pytest.mark.parametrize(
    "name, role, split, task, answer_type, hub_id",
    [
        ("cosmosqa", "train", "train", "qa", "mc", "allenai/cosmos_qa"),
        ("strategyqa", "train", "train", "cr", "yesno", "ChilleD/StrategyQA"),
        ("commonsenseqa", "train", "train", "cr", "mc", "tau/commonsense_qa"),
        ("arc", "train", "train", "cr", "mc", "allenai/ai2_arc"),
        ("race", "eval", "test", "qa", "mc", "EleutherAI/race"),
        ("boolq", "eval", "validation", "qa", "yesno", "google/boolq"),
        ("openbookqa", "eval", "test", "cr", "mc", "allenai/openbookqa"),
        ("hellaswag", "eval", "validation", "cr", "mc", "Rowan/hellaswag"),
    ],
)
def test_spec(name, role, split, task, answer_type, hub_id):
    spec = adapter(name).SPEC
    assert (spec.name, spec.role, spec.split, spec.task, spec.modality, spec.answer_type, spec.hub_id) == (
        name,
        role,
        split,
        task,
        "text",
        answer_type,
        hub_id,
    )


# --- exact normalized output from hand-written raw rows ------------------------------------


def test_cosmosqa_label_to_letter(tmp_path):
    rows = [
        {
            "id": "3Q9SPIIRWJKVQ8244310E8TUS6YWAP##34V1S5K3GTZMDUBNBIGY93FLDM690K##A1S1K7134S2VUC##Blog_1024385##q1_a1",
            "context": "Tom missed the last bus, so he walked home in the rain.",
            "question": "Why did Tom walk home?",
            "answer0": "He likes the rain.",
            "answer1": "He missed the bus.",
            "answer2": "His car was broken.",
            "answer3": "None of the above choices .",
            "label": 1,
        },
        {
            "id": "3E9VAUV7BWDZ##Blog_77##q2_a1",
            "context": "Mia baked bread for her neighbours.",
            "question": "What may happen next?",
            "answer0": "The neighbours are angry.",
            "answer1": "Mia burns the house.",
            "answer2": "Mia moves away.",
            "answer3": "The neighbours thank Mia.",
            "label": 3,
        },
    ]
    records, skipped = run(tmp_path, "cosmosqa", {"default/train/0000.parquet": rows})
    options = [[row[f"answer{i}"] for i in range(4)] for row in rows]
    assert summary(records) == [
        (
            rows[0]["id"],
            "Why did Tom walk home?",
            "Tom missed the last bus, so he walked home in the rain.",
            options[0],
            "B",
        ),
        (
            "3E9VAUV7BWDZ##Blog_77##q2_a1",
            "What may happen next?",
            "Mia baked bread for her neighbours.",
            options[1],
            "D",
        ),
    ]
    assert skipped == {}
    assert {(r.dataset, r.task, r.modality, r.answer_type, r.image) for r in records} == {
        ("cosmosqa", "qa", "text", "mc", None)
    }


@pytest.mark.parametrize(
    "facts",
    [
        ["Hydrogen is the first element.", "The Spice Girls had five members."],
        "Hydrogen is the first element. The Spice Girls had five members.",
    ],
    ids=["list", "string"],
)
def test_strategyqa_facts_list_or_string(tmp_path, facts):
    rows = [
        {
            "qid": "4a3ea5b3b2a5c4ab0e52",
            "term": "Hydrogen",
            "description": "Chemical element with atomic number 1",
            "question": "Hydrogen's atomic number squared exceeds number of Spice Girls?",
            "answer": False,
            "facts": facts,
            "decomposition": ["What is the atomic number of hydrogen?", "How many Spice Girls are there?"],
        },
        {
            "qid": "b9ee6b8ab1d0ad7a7d61",
            "term": "Sea",
            "description": "Large body of salt water",
            "question": "Is sea water salty?",
            "answer": True,
            "facts": facts,
            "decomposition": ["Is sea water salty?"],
        },
    ]
    records, _ = run(tmp_path, "strategyqa", {"data/train-00000-of-00001-506370352f622815.parquet": rows})
    context = "Hydrogen is the first element. The Spice Girls had five members."
    assert summary(records) == [
        ("4a3ea5b3b2a5c4ab0e52", rows[0]["question"], context, None, "no"),
        ("b9ee6b8ab1d0ad7a7d61", "Is sea water salty?", context, None, "yes"),
    ]
    assert {r.answer_type for r in records} == {"yesno"}


def test_commonsenseqa_answer_key_by_label_position(tmp_path):
    texts = ["bank", "library", "department store", "mall", "new york"]
    rows = [
        {
            "id": "075e483d21c29a511267ef62bedc0461",
            "question": "A revolving door is convenient for two direction travel. Where would you find one?",
            "question_concept": "revolving door",
            "choices": {"label": ["A", "B", "C", "D", "E"], "text": texts},
            "answerKey": "A",
        },
        {  # labels in an unusual order: the letter follows the position, not the key
            "id": "61fe6e879ff18686d7552425a36344c8",
            "question": "Where are people likely to find food?",
            "question_concept": "people",
            "choices": {
                "label": ["E", "D", "C", "B", "A"],
                "text": ["race track", "populated areas", "desert", "apartment", "restaurant"],
            },
            "answerKey": "A",
        },
    ]
    records, _ = run(tmp_path, "commonsenseqa", {"data/train-00000-of-00001.parquet": rows})
    assert [(r.id, r.choices, r.answer, r.context) for r in records] == [
        ("075e483d21c29a511267ef62bedc0461", texts, "A", None),
        ("61fe6e879ff18686d7552425a36344c8", rows[1]["choices"]["text"], "E", None),
    ]


def test_arc_digit_labels_and_option_counts(tmp_path):
    challenge = [
        {
            "id": "Mercury_SC_415702",
            "question": "George rubs his hands to warm them. Which skin surface will produce the most heat?",
            "choices": {
                "text": ["dry palms", "wet palms", "palms covered with oil", "palms covered with lotion"],
                "label": ["A", "B", "C", "D"],
            },
            "answerKey": "A",
        },
        {
            "id": "NYSEDREGENTS_2015_4_8",
            "question": "Which object is a conductor of electricity?",
            "choices": {"text": ["wood", "glass", "iron nail", "plastic"], "label": ["1", "2", "3", "4"]},
            "answerKey": "3",
        },
    ]
    easy = [
        {
            "id": "Mercury_7179953",
            "question": "Which gas do plants take in?",
            "choices": {
                "text": ["oxygen", "nitrogen", "helium", "argon", "carbon dioxide"],
                "label": ["A", "B", "C", "D", "E"],
            },
            "answerKey": "E",
        },
        {
            "id": "MCAS_2000_4_6",
            "question": "Which is a mammal?",
            "choices": {"text": ["shark", "whale", "trout"], "label": ["A", "B", "C"]},
            "answerKey": "B",
        },
    ]
    records, _ = run(
        tmp_path,
        "arc",
        {"ARC-Challenge/train-00000-of-00001.parquet": challenge, "ARC-Easy/train-00000-of-00001.parquet": easy},
    )
    assert [(r.id, r.choices, r.answer) for r in records] == [
        ("Mercury_SC_415702", challenge[0]["choices"]["text"], "A"),
        ("NYSEDREGENTS_2015_4_8", ["wood", "glass", "iron nail", "plastic"], "C"),
        ("Mercury_7179953", easy[0]["choices"]["text"], "E"),
        ("MCAS_2000_4_6", ["shark", "whale", "trout"], "B"),
    ]
    assert records[1].question == "Which object is a conductor of electricity?"


RACE_ARTICLES = [
    {
        "article": "Lucy lives in a small town. Every Sunday she visits her grandmother by bike.",
        "problems": str(
            [
                {
                    "answer": "B",
                    "options": ["city", "small town", "village", "farm"],
                    "question": "Lucy lives in a _ .",
                },
                {
                    "answer": "A",
                    "options": ["Sunday", "Monday", "Friday", "Saturday"],
                    "question": "When does Lucy visit?",
                },
                {
                    "answer": "D",
                    "options": ["by bus", "on foot", "by car", "by bike"],
                    "question": "How does Lucy travel?",
                },
            ]
        ),
    },
    {
        "article": "The museum opens at nine.",
        "problems": str(
            [{"answer": "C", "options": ["seven", "eight", "nine", "ten"], "question": "When does it open?"}]
        ),
    },
]


def test_race_last_question_per_article(tmp_path):
    records, skipped = run(tmp_path, "race", {"high/test/0000.parquet": RACE_ARTICLES})
    assert summary(records) == [
        (
            "0000-0-q2",
            "How does Lucy travel?",
            RACE_ARTICLES[0]["article"],
            ["by bus", "on foot", "by car", "by bike"],
            "D",
        ),
        ("0000-1-q0", "When does it open?", "The museum opens at nine.", ["seven", "eight", "nine", "ten"], "C"),
    ]
    assert skipped == {RACE_SKIP: 2}
    assert [without_doc(r.meta) for r in records] == [{"article": "0000-0"}, {"article": "0000-1"}]
    # the hub fields the official prompt reads: the article and its last problem, verbatim
    assert records[1].meta["doc"] == {"article": "The museum opens at nine.", "question": "When does it open?",
                                      "options": ["seven", "eight", "nine", "ten"], "answer": "C"}  # fmt: skip


def test_race_all_questions_keep_the_same_ids(tmp_path):
    records, skipped = run(tmp_path, "race", {"high/test/0000.parquet": RACE_ARTICLES}, questions="all")
    assert [(r.id, r.question, r.answer) for r in records] == [
        ("0000-0-q0", "Lucy lives in a _ .", "B"),  # cloze question kept verbatim
        ("0000-0-q1", "When does Lucy visit?", "A"),
        ("0000-0-q2", "How does Lucy travel?", "D"),
        ("0000-1-q0", "When does it open?", "C"),
    ]
    assert skipped == {}


def test_race_uses_example_id_when_present(tmp_path):
    rows = [{**RACE_ARTICLES[1], "example_id": "high1234.txt"}]
    records, _ = run(tmp_path, "race", {"high/test/0000.parquet": rows})
    assert [(r.id, without_doc(r.meta)) for r in records] == [("high1234.txt-q0", {"article": "high1234.txt"})]


def test_race_rejects_unknown_question_mode(tmp_path):
    with pytest.raises(ValueError, match="questions"):
        run(tmp_path, "race", {"high/test/0000.parquet": RACE_ARTICLES}, questions="first")


def test_boolq_google_bool_answer(tmp_path):
    rows = [
        {
            "question": "do iran and afghanistan speak the same language",
            "answer": True,
            "passage": "Persian is spoken in both.",
        },
        {
            "question": "is windows movie maker part of windows essentials",
            "answer": False,
            "passage": "Movie Maker was discontinued.",
        },
    ]
    records, _ = run(tmp_path, "boolq", {"data/validation-00000-of-00001.parquet": rows})
    assert summary(records) == [
        ("validation-00000-of-00001-0", rows[0]["question"], "Persian is spoken in both.", None, "yes"),
        ("validation-00000-of-00001-1", rows[1]["question"], "Movie Maker was discontinued.", None, "no"),
    ]


def test_boolq_super_glue_int_label(tmp_path):
    rows = [
        {"question": "is the sky blue", "passage": "The sky looks blue on clear days.", "idx": 7, "label": 1},
        {"question": "is the sea sweet", "passage": "Sea water is salty.", "idx": 8, "label": 0},
    ]
    files = {"boolq/validation-00000-of-00001.parquet": rows}
    records, _ = run(tmp_path, "boolq", files, patterns={"main": "boolq/validation-*.parquet"})
    assert summary(records) == [
        ("7", "is the sky blue", "The sky looks blue on clear days.", None, "yes"),
        ("8", "is the sea sweet", "Sea water is salty.", None, "no"),
    ]


def test_openbookqa_question_stem(tmp_path):
    rows = [
        {
            "id": "7-980",
            "question_stem": "The sun is responsible for",
            "choices": {
                "text": [
                    "puppies learning new tricks",
                    "children growing up and getting old",
                    "flowers wilting in a vase",
                    "plants sprouting, blooming and wilting",
                ],
                "label": ["A", "B", "C", "D"],
            },
            "answerKey": "D",
        }
    ]
    records, _ = run(tmp_path, "openbookqa", {"main/test-00000-of-00001.parquet": rows})
    assert summary(records) == [("7-980", "The sun is responsible for", None, rows[0]["choices"]["text"], "D")]


def test_hellaswag_cleanup_and_string_label(tmp_path):
    rows = [
        {
            "ind": 4,
            "activity_label": "Removing ice from car",
            "ctx_a": "Then, the man writes over the snow covering the window of a car, and a woman smiles.",
            "ctx_b": "then",
            "ctx": "Then, the man writes over the snow covering the window of a car, and a woman smiles. then",
            "endings": [
                ", the man adds wax to the windshield.",
                ", a person board a ski lift.",
                ", the man puts on a christmas coat.",
                ", the man continues removing the snow on his car.",
            ],
            "source_id": "activitynet~v_-1IBHYS3L-Y",
            "split": "val",
            "split_type": "indomain",
            "label": "3",
        },
        {
            "ind": 36,
            "activity_label": "Home and Garden",
            "ctx_a": "[header] How to clean a lamp [title] Unplug the lamp.",
            "ctx_b": "",
            "ctx": "[header] How to clean a lamp [title] Unplug the lamp. ",
            "endings": [
                "[step] Wipe the shade with a dry cloth.",
                "[step] Pour water  into the bulb.",
                "[title] Paint the cord.",
                "[step] Burn the shade.",
            ],
            "source_id": "wikihow~12345",
            "split": "val",
            "split_type": "zeroshot",
            "label": "2",
        },
    ]
    records, _ = run(tmp_path, "hellaswag", {"default/validation/0000.parquet": rows})
    assert summary(records) == [
        (
            "4",
            "Removing ice from car: Then, the man writes over the snow covering the window of a car, "
            "and a woman smiles. Then",
            None,
            [
                ", the man adds wax to the windshield.",
                ", a person board a ski lift.",
                ", the man puts on a christmas coat.",
                ", the man continues removing the snow on his car.",
            ],
            "D",
        ),
        (
            "36",
            "Home and Garden: How to clean a lamp. Unplug the lamp.",
            None,
            ["Wipe the shade with a dry cloth.", "Pour water into the bulb.", "Paint the cord.", "Burn the shade."],
            "C",
        ),
    ]


def test_hellaswag_accepts_int_label(tmp_path):
    row = {
        "ind": 1,
        "activity_label": "Skiing",
        "ctx_a": "A man skis.",
        "ctx_b": "he",
        "ctx": "A man skis. he",
        "endings": ["falls.", "flies.", "sings.", "swims."],
        "label": 0,
    }
    records, _ = run(tmp_path, "hellaswag", {"bad.jsonl": [row]}, patterns={"main": "bad.jsonl"})
    assert [(r.question, r.answer) for r in records] == [("Skiing: A man skis. He", "A")]


# --- bad rows fail loudly, naming dataset, file, row and problem -------------------------

GOOD_ROWS = {
    "cosmosqa": {
        "id": "c1",
        "context": "c",
        "question": "q",
        "answer0": "a",
        "answer1": "b",
        "answer2": "c",
        "answer3": "d",
        "label": 0,
    },
    "strategyqa": {"qid": "s1", "question": "q?", "answer": True, "facts": ["f."]},
    "commonsenseqa": {
        "id": "k1",
        "question": "q?",
        "choices": {"label": ["A", "B"], "text": ["x", "y"]},
        "answerKey": "B",
    },
    "arc": {
        "id": "a1",
        "question": "q?",
        "choices": {"text": ["x", "y", "z"], "label": ["1", "2", "3"]},
        "answerKey": "2",
    },
    "race": {"article": "a.", "problems": "[{'answer': 'A', 'options': ['x', 'y'], 'question': 'q?'}]"},
    "boolq": {"question": "q", "answer": True, "passage": "p."},
    "openbookqa": {
        "id": "o1",
        "question_stem": "q",
        "choices": {"text": ["x", "y"], "label": ["A", "B"]},
        "answerKey": "A",
    },
    "hellaswag": {
        "ind": 1,
        "activity_label": "l",
        "ctx_a": "a",
        "ctx_b": "b",
        "ctx": "a b",
        "endings": ["x", "y"],
        "label": "1",
    },
}


def run_bad_row(root: Path, name: str, changes: dict, drop: str | None = None):
    """Normalize a good row followed by a changed one (row 1) from ``bad.jsonl``."""
    bad = {key: value for key, value in {**GOOD_ROWS[name], **changes}.items() if key != drop}
    files = {"bad.jsonl": [GOOD_ROWS[name], bad], "empty.jsonl": []}
    patterns = {"challenge": "bad.jsonl", "easy": "empty.jsonl"} if name == "arc" else {"main": "bad.jsonl"}
    return run(root, name, files, patterns=patterns)


@pytest.mark.parametrize("name", TEXT_DATASETS)
def test_good_rows_normalize(tmp_path, name):
    records, _ = run_bad_row(tmp_path, name, {})
    assert len(records) == 2 and len({r.answer for r in records}) == 1


@pytest.mark.parametrize(
    "name, field",
    [
        ("cosmosqa", "answer2"),
        ("cosmosqa", "label"),
        ("strategyqa", "answer"),
        ("commonsenseqa", "answerKey"),
        ("arc", "choices"),
        ("race", "problems"),
        ("boolq", "passage"),
        ("boolq", "answer"),  # neither 'answer' nor SuperGLUE's 'label'
        ("openbookqa", "question_stem"),
        ("hellaswag", "endings"),
    ],
)
def test_missing_field_names_the_row(tmp_path, name, field):
    with pytest.raises(RowError, match=rf"dataset '{name}', file 'bad\.jsonl', row 1: missing field '{field}'"):
        run_bad_row(tmp_path, name, {}, drop=field)


@pytest.mark.parametrize(
    "name, changes, message",
    [
        ("cosmosqa", {"label": 4}, "field 'label' is option index 4, outside 0-3"),
        ("cosmosqa", {"label": -1}, "field 'label' is option index -1, outside 0-3"),
        ("hellaswag", {"label": "2"}, "field 'label' is option index 2, outside 0-1"),
        ("hellaswag", {"label": ""}, "field 'label' is not an option index: ''"),
        ("arc", {"answerKey": "D"}, r"answerKey 'D' is not one of the option labels \['1', '2', '3'\]"),
        ("commonsenseqa", {"choices": {"label": [], "text": []}}, "field 'choices' has no options"),
        ("openbookqa", {"choices": {"text": ["x", "y"], "label": ["A"]}}, "2 texts but 1 labels"),
        ("boolq", {"answer": "yes"}, "field 'answer' is 'yes', expected a boolean"),
        ("boolq", {"answer": 1}, "field 'answer' is 1, expected a boolean"),
        ("strategyqa", {"answer": "True"}, "field 'answer' is 'True', expected a boolean"),
        ("strategyqa", {"facts": [1, 2]}, "field 'facts' is neither a string nor a list of strings"),
        (
            "race",
            {"problems": "[{'answer': 'C', 'options': ['x', 'y'], 'question': 'q?'}]"},
            "answer 'C' is not an option",
        ),
        ("race", {"problems": "not a list"}, "not a Python literal list"),
        ("race", {"problems": "[]"}, "not a non-empty list"),
        ("race", {"problems": "[{'answer': 'A', 'question': 'q?'}]"}, "problem 0 has no 'options'"),
    ],
)
def test_bad_value_names_the_row(tmp_path, name, changes, message):
    with pytest.raises(RowError, match=rf"dataset '{name}', file 'bad\.jsonl', row 1: .*{message}"):
        run_bad_row(tmp_path, name, changes)


def test_boolq_super_glue_unlabeled_row(tmp_path):
    row = {"question": "q", "passage": "p.", "idx": 3, "label": -1}
    with pytest.raises(RowError, match=r"row 0: label -1 is neither 1 \(true\) nor 0 \(false\)"):
        run(tmp_path, "boolq", {"bad.jsonl": [row]}, patterns={"main": "bad.jsonl"})


@pytest.mark.parametrize("name", TEXT_DATASETS)
def test_unknown_option_is_rejected(tmp_path, name):
    expected = "questions" if name == "race" else "no options"
    message = rf"datasets\.{name}\.options: unknown option\(s\) limit; {name} takes {expected}"
    with pytest.raises(ConfigError, match=message):
        normalize_dataset(name, tmp_path, tmp_path / "out.jsonl", tmp_path / "images", options={"limit": 3})


# --- toy copies ----------------------------------------------------------------------------


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", TEXT_DATASETS)
def test_toy_normalizes_and_is_reproducible(tmp_path, name):
    generate = toy_generator(name).generate
    generate(tmp_path / "a", rows=12, seed=3)
    generate(tmp_path / "b", rows=12, seed=3)
    generate(tmp_path / "c", rows=12, seed=4)
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    assert tree_bytes(tmp_path / "a") != tree_bytes(tmp_path / "c")

    output = tmp_path / "out" / f"{name}.jsonl"
    stats = normalize_dataset(name, tmp_path / "a", output, tmp_path / "images")
    assert stats["records"] == 12  # RACE: one (the last) question per article
    records = read_records(output)
    spec = adapter(name).SPEC
    assert {(r.dataset, r.task, r.modality, r.answer_type) for r in records} == {
        (name, spec.task, "text", spec.answer_type)
    }
    assert all(not r.problems() for r in records)
    if name == "race":
        assert stats["skipped"].get(RACE_SKIP, 0) > 0


def toy_rows(tmp_path: Path, name: str, rows: int = 60) -> list[dict]:
    toy_generator(name).generate(tmp_path, rows=rows, seed=0)
    return [row for path in sorted(tmp_path.rglob("*.parquet")) for row in pq.read_table(path).to_pylist()]


def test_toy_arc_has_digit_labels_and_three_to_five_options(tmp_path):
    rows = toy_rows(tmp_path, "arc")
    assert {len(row["choices"]["label"]) for row in rows} == {3, 4, 5}
    digit_rows = [row for row in rows if row["choices"]["label"][0] == "1"]
    assert digit_rows and all(row["answerKey"].isdigit() for row in digit_rows)
    assert {path.parent.name for path in tmp_path.rglob("*.parquet")} == {"ARC-Challenge", "ARC-Easy"}


def test_toy_race_problems_are_python_literal_strings(tmp_path):
    rows = toy_rows(tmp_path, "race")
    assert all(isinstance(row["problems"], str) for row in rows)
    assert any(row["problems"].count("'question'") > 1 for row in rows)
    assert any("_" in row["problems"] for row in rows)


@pytest.mark.parametrize(
    "name, field, arrow_type",
    [
        ("cosmosqa", "label", "int32"),
        ("strategyqa", "answer", "bool"),
        ("strategyqa", "facts", "list<element: string>"),
        ("boolq", "answer", "bool"),
        ("hellaswag", "label", "string"),
        ("hellaswag", "ind", "int32"),
        ("commonsenseqa", "choices", "struct<label: list<element: string>, text: list<element: string>>"),
        ("openbookqa", "choices", "struct<text: list<element: string>, label: list<element: string>>"),
    ],
)
def test_toy_column_types_follow_the_hub(tmp_path, name, field, arrow_type):
    toy_generator(name).generate(tmp_path, rows=3, seed=0)
    (path,) = tmp_path.rglob("*.parquet")
    assert str(pq.read_schema(path).field(field).type) == arrow_type


def test_toy_hellaswag_has_wikihow_tags_that_get_cleaned(tmp_path):
    rows = toy_rows(tmp_path, "hellaswag")
    assert any("[title]" in row["ctx"] for row in rows)
    records, _ = run(tmp_path, "hellaswag", {})
    assert not any("[" in r.question or any("[" in choice for choice in r.choices) for r in records)


def test_hub_download_without_network_names_the_way_out(tmp_path, monkeypatch):
    from mlan.data.download import fetch_hub
    from mlan.errors import SourceError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(
        SourceError, match=r"dataset 'squad': cannot download 'rajpurkar/squad'.*datasets\.squad\.source\.local"
    ):
        fetch_hub("squad", tmp_path / "squad", "rajpurkar/squad", "main", {"main": "plain_text/train-*.parquet"})
