"""Vision adapters and their toy generators: hand-written rows in each hub raw schema
(images as ``{bytes, path}`` structs) must normalize to exactly the expected records."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from mlan.data.normalize import normalize_dataset
from mlan.data.records import read_records
from mlan.data.sources import toy_generator
from mlan.data.sources.realworldqa import answer_letter, parse_question
from mlan.errors import ConfigError, RowError

VISION_DATASETS = ("vqav2", "aokvqa", "realworldqa", "gqa", "ai2d", "pope", "scienceqa", "llava_pretrain")


def picture(color: tuple[int, int, int], image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buffer, format=image_format)
    return buffer.getvalue()


RED, BLUE, GREEN = picture((255, 0, 0)), picture((0, 0, 255)), picture((0, 255, 0))


def cell(data: bytes) -> dict:
    return {"bytes": data, "path": None}


def without_doc(meta: dict) -> dict:
    """A record's meta but the hub fields kept for the official prompts
    (tests/unit/evaluation/test_official_fidelity.py)."""
    return {key: value for key, value in meta.items() if key != "doc"}


def write_rows(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def normalize(tmp_path: Path, name: str, source: Path):
    """Normalize ``source``; returns (records by id, images root)."""
    images = tmp_path / "images"
    normalize_dataset(name, source, tmp_path / "out" / f"{name}.jsonl", images)
    return {record.id: record for record in read_records(tmp_path / "out" / f"{name}.jsonl")}, images


def test_vqav2_answer_and_shared_image(tmp_path):
    rows = [
        {
            "question_id": 11,
            "question": "What color is it? ",
            "multiple_choice_answer": "red ",
            "answers": ["red"] * 10,
            "id_image": 7,
            "image": cell(RED),
        },
        {
            "question_id": 12,
            "question": "How many?",
            "multiple_choice_answer": "2",
            "answers": ["2", "3"],
            "id_image": 7,
            "image": cell(RED),
        },
    ]
    write_rows(tmp_path / "src" / "data" / "train-00000-of-00001.parquet", rows)
    records, images = normalize(tmp_path, "vqav2", tmp_path / "src")
    assert sorted(records) == ["11", "12"]
    first = records["11"]
    assert (first.question, first.answer, first.answer_type, first.task) == ("What color is it?", "red", "short", "qa")
    assert first.image == records["12"].image == "vqav2/image-7.png"
    assert (images / first.image).read_bytes() == RED
    assert len(list((images / "vqav2").iterdir())) == 1


def test_aokvqa_choice_index_to_letter(tmp_path):
    rows = [
        {
            "question_id": "22abc",
            "question": "What is the man holding?",
            "choices": ["bat", "cup", "kite", "phone"],
            "correct_choice_idx": 2,
            "direct_answers": ["kite"] * 10,
            "rationales": ["He flies it."],
            "image": cell(BLUE),
        }
    ]
    write_rows(tmp_path / "src" / "data" / "train-00000-of-00001-abc.parquet", rows)
    records, images = normalize(tmp_path, "aokvqa", tmp_path / "src")
    record = records["22abc"]
    assert (record.choices, record.answer, record.answer_type, record.task) == (
        ["bat", "cup", "kite", "phone"],
        "C",
        "mc",
        "cr",
    )
    assert (images / record.image).read_bytes() == BLUE


LETTER_ONLY = "Please answer directly with only the letter of the correct option and nothing else."
ONE_WORD = "Please answer directly with a single word or number."


@pytest.mark.parametrize(
    "text, stem, options, instruction",
    [
        (
            f"Which object is closer to the camera?\nA. The car\nB. The tree\nC. The sign\n{LETTER_ONLY}",
            "Which object is closer to the camera?",
            ["The car", "The tree", "The sign"],
            LETTER_ONLY,
        ),
        (
            f"In which direction is the truck facing?\n\nA. Left\nB. Straight\nC. Right\n\n{LETTER_ONLY}\n",
            "In which direction is the truck facing?",
            ["Left", "Straight", "Right"],
            LETTER_ONLY,
        ),
        (f"Is the road wet?\n(A) yes\n(B) no\n{LETTER_ONLY}", "Is the road wet?", ["yes", "no"], LETTER_ONLY),
        ("What is ahead?\nA) A bus\nB) A bike", "What is ahead?", ["A bus", "A bike"], None),
        (f"How many cars are in the image?\n{ONE_WORD}", "How many cars are in the image?", [], ONE_WORD),
        (f"Is the traffic light green?\n{ONE_WORD}", "Is the traffic light green?", [], ONE_WORD),
        (f"Is the traffic light green? {ONE_WORD}", "Is the traffic light green?", [], ONE_WORD),
        (
            "Several people stand here.\nHow many are there?",
            "Several people stand here.\nHow many are there?",
            [],
            None,
        ),
    ],
)
def test_realworldqa_parse_question(text, stem, options, instruction):
    assert parse_question(text) == (stem, options, instruction)


def test_realworldqa_parse_rejects_out_of_order_labels():
    with pytest.raises(ValueError, match="labelled A, C"):
        parse_question("Which one?\nA. left\nC. right")


@pytest.mark.parametrize("answer, expected", [("B", "B"), ("B.", "B"), ("(c)", "C"), ("the tree", "B"), ("Tree.", "C")])
def test_realworldqa_answer_letter(answer, expected):
    assert answer_letter(answer, ["The car", "The tree", "Tree"]) == expected


def test_realworldqa_rows(tmp_path):
    rows = [
        {"image": cell(RED), "question": f"Which sign is shown?\nA. Stop\nB. Yield\n{LETTER_ONLY}", "answer": "A"},
        {
            "image": cell(BLUE),
            "question": f"Which lane is the car in?\nA. Left\nB. Right\n{LETTER_ONLY}",
            "answer": "Right",
        },
        {"image": cell(GREEN), "question": f"Is the light green?\n{ONE_WORD}", "answer": "Yes "},
    ]
    write_rows(tmp_path / "src" / "data" / "test-00000-of-00001.parquet", rows)
    records, images = normalize(tmp_path, "realworldqa", tmp_path / "src")
    first, second, third = (records[f"test-00000-of-00001-{index}"] for index in range(3))
    assert (first.question, first.choices, first.answer, first.answer_type) == (
        "Which sign is shown?",
        ["Stop", "Yield"],
        "A",
        "mc",
    )
    assert without_doc(first.meta) == {"instruction": LETTER_ONLY}
    assert first.meta["doc"]["question"].endswith(LETTER_ONLY)  # the raw question, for the official prompt
    assert (second.answer, second.choices) == ("B", ["Left", "Right"])
    assert (third.question, third.choices, third.answer, third.answer_type) == (
        "Is the light green?",
        None,
        "Yes",
        "short",
    )
    assert without_doc(third.meta) == {"instruction": ONE_WORD}
    assert (images / third.image).read_bytes() == GREEN


def test_realworldqa_unmappable_answer_is_an_error(tmp_path):
    rows = [{"image": cell(RED), "question": f"Which sign?\nA. Stop\nB. Yield\n{LETTER_ONLY}", "answer": "Speed"}]
    write_rows(tmp_path / "src" / "data" / "test-00000-of-00001.parquet", rows)
    with pytest.raises(RowError, match=r"row 0: answer 'Speed' is neither"):
        normalize(tmp_path, "realworldqa", tmp_path / "src")


def test_ai2d_string_index(tmp_path):
    rows = [
        {
            "question": "Which stage comes first?",
            "options": ["egg", "larva", "pupa", "adult"],
            "answer": "2",
            "image": cell(RED),
        },
        {"question": "What eats grass?", "options": ["cow", "lion"], "answer": "0", "image": cell(BLUE)},
    ]
    write_rows(tmp_path / "src" / "data" / "test-00000-of-00001.parquet", rows)
    records, images = normalize(tmp_path, "ai2d", tmp_path / "src")
    record = records["test-00000-of-00001-0"]
    assert (record.choices, record.answer, record.task, record.answer_type) == (
        ["egg", "larva", "pupa", "adult"],
        "C",
        "cr",
        "mc",
    )
    assert records["test-00000-of-00001-1"].answer == "A"
    assert (images / record.image).read_bytes() == RED


def test_ai2d_non_index_answer_is_an_error(tmp_path):
    rows = [{"question": "Which?", "options": ["a", "b"], "answer": "b", "image": cell(RED)}]
    write_rows(tmp_path / "src" / "data" / "test-00000-of-00001.parquet", rows)
    with pytest.raises(RowError, match="field 'answer' is not an option index: 'b'"):
        normalize(tmp_path, "ai2d", tmp_path / "src")


def test_scienceqa_modality_per_row(tmp_path):
    common = {
        "task": "closed choice",
        "topic": "physics",
        "category": "Forces",
        "skill": "Identify forces",
        "lecture": "",
        "solution": "",
    }
    rows = [
        {
            "image": None,
            "question": "Which word is a noun?",
            "choices": ["run", "dog", "quickly"],
            "answer": 1,
            "hint": "",
            "subject": "language science",
            "grade": "grade2",
            **common,
        },
        {
            "image": cell(BLUE),
            "question": "Which magnet pulls?",
            "choices": ["left", "right"],
            "answer": 0,
            "hint": "Look at the magnets.",
            "subject": "natural science",
            "grade": "grade5",
            **common,
        },
    ]
    write_rows(tmp_path / "src" / "ScienceQA-FULL" / "test-00000-of-00001.parquet", rows)
    records, images = normalize(tmp_path, "scienceqa", tmp_path / "src")
    text, vision = records["test-00000-of-00001-0"], records["test-00000-of-00001-1"]
    assert (text.modality, text.image, text.context, text.answer) == ("text", None, None, "B")
    assert without_doc(text.meta) == {"subject": "language science", "grade": "grade2"}
    assert (vision.modality, vision.context, vision.answer, vision.choices) == (
        "vision",
        "Look at the magnets.",
        "A",
        ["left", "right"],
    )
    assert (images / vision.image).read_bytes() == BLUE


def write_gqa(root: Path, questions: list[dict]) -> None:
    write_rows(root / "testdev_balanced_instructions" / "testdev-00000-of-00001.parquet", questions)
    images = [{"id": "n1", "image": cell(RED)}, {"id": "n2", "image": cell(BLUE)}, {"id": "n3", "image": cell(GREEN)}]
    write_rows(root / "testdev_balanced_images" / "testdev-00000-of-00001.parquet", images)


def gqa_question(question_id: str, image_id: str, question: str, answer: str) -> dict:
    return {
        "id": question_id,
        "imageId": image_id,
        "question": question,
        "answer": answer,
        "fullAnswer": f"It is {answer}.",
        "isBalanced": True,
    }


def test_gqa_joins_questions_to_images(tmp_path):
    write_gqa(
        tmp_path / "src",
        [
            gqa_question("201", "n2", "What color is the car?", "blue"),
            gqa_question("202", "n2", "Is the car parked?", "yes"),
            gqa_question("203", "n1", "Which side is the dog on?", "left"),
        ],
    )
    records, images = normalize(tmp_path, "gqa", tmp_path / "src")
    assert [records[key].answer for key in ("201", "202", "203")] == ["blue", "yes", "left"]
    assert records["201"].image == records["202"].image == "gqa/n2.png"
    assert (images / "gqa" / "n2.png").read_bytes() == BLUE
    assert (images / records["203"].image).read_bytes() == RED
    assert sorted(path.name for path in (images / "gqa").iterdir()) == ["n1.png", "n2.png"]  # n3: unused
    assert (records["201"].task, records["201"].answer_type) == ("cr", "short")


def test_gqa_missing_image_is_an_error(tmp_path):
    write_gqa(tmp_path / "src", [gqa_question("201", "n1", "Q?", "a"), gqa_question("202", "n9", "Q?", "b")])
    with pytest.raises(RowError, match=r"testdev-00000-of-00001.parquet', row 1: imageId 'n9'"):
        normalize(tmp_path, "gqa", tmp_path / "src")


def test_pope_answer_and_category(tmp_path):
    rows = [
        {
            "id": "0",
            "question_id": "1",
            "question": "Is there a dog in the image?",
            "answer": "Yes ",
            "image_source": "COCO_val2014_000000000042",
            "image": cell(RED),
            "category": "adversarial",
        },
        {
            "id": "1",
            "question_id": "2",
            "question": "Is there a cat in the image?",
            "answer": "no",
            "image_source": "COCO_val2014_000000000042",
            "image": cell(RED),
            "category": "random",
        },
    ]
    write_rows(tmp_path / "src" / "data" / "test-00000-of-00001.parquet", rows)
    records, images = normalize(tmp_path, "pope", tmp_path / "src")
    assert (records["0"].answer, without_doc(records["0"].meta), records["0"].answer_type) == (
        "yes",
        {"category": "adversarial"},
        "yesno",
    )
    assert (records["1"].answer, without_doc(records["1"].meta)) == ("no", {"category": "random"})
    assert records["0"].image == records["1"].image == "pope/COCO_val2014_000000000042.png"
    assert (images / records["0"].image).read_bytes() == RED


def test_pope_null_image_is_an_error(tmp_path):
    rows = [
        {
            "id": "0",
            "question_id": "1",
            "question": "Is there a dog?",
            "answer": "yes",
            "image_source": "x",
            "image": None,
            "category": "random",
        }
    ]
    write_rows(tmp_path / "src" / "data" / "test-00000-of-00001.parquet", rows)
    with pytest.raises(RowError, match="row 0: field 'image' is null"):
        normalize(tmp_path, "pope", tmp_path / "src")


def llava_entry(entry_id: str, image: str, human: str, caption: str) -> dict:
    return {
        "id": entry_id,
        "image": image,
        "conversations": [{"from": "human", "value": human}, {"from": "gpt", "value": caption}],
    }


LLAVA_ENTRIES = [
    llava_entry(
        "004539375", "00453/004539375.jpg", "Give a brief description of the image.\n<image>", "a dog on grass"
    ),
    llava_entry("002239345", "00223/002239345.jpg", "<image>\nDescribe the image concisely.", "a red bus "),
]
JPEG = picture((200, 10, 10), "JPEG")


def write_llava_json(root: Path, entries: list[dict]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "blip_laion_cc_sbu_558k.json").write_text(json.dumps(entries))


def check_llava(records: dict, images: Path) -> None:
    first, second = records["004539375"], records["002239345"]
    assert (first.question, first.answer) == ("Give a brief description of the image.", "a dog on grass")
    assert (second.question, second.answer) == ("Describe the image concisely.", "a red bus")
    assert (first.task, first.answer_type, first.modality) == ("caption", "caption", "vision")
    assert first.image == "llava_pretrain/00453_004539375.jpg"
    assert (images / first.image).read_bytes() == JPEG
    assert (images / second.image).read_bytes() == RED


def test_llava_pretrain_from_zip(tmp_path):
    write_llava_json(tmp_path / "src", LLAVA_ENTRIES)
    with zipfile.ZipFile(tmp_path / "src" / "images.zip", "w") as archive:
        archive.writestr("00453/004539375.jpg", JPEG)
        archive.writestr("00223/002239345.jpg", RED)  # PNG bytes under a .jpg name: saved as .png
    check_llava(*normalize(tmp_path, "llava_pretrain", tmp_path / "src"))


def test_llava_pretrain_from_folder(tmp_path):
    write_llava_json(tmp_path / "src", LLAVA_ENTRIES)
    for relative, data in (("00453/004539375.jpg", JPEG), ("00223/002239345.jpg", RED)):
        (tmp_path / "src" / "images" / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / "images" / relative).write_bytes(data)
    check_llava(*normalize(tmp_path, "llava_pretrain", tmp_path / "src"))


def test_llava_pretrain_missing_image_is_an_error(tmp_path):
    write_llava_json(tmp_path / "src", LLAVA_ENTRIES)
    (tmp_path / "src" / "images" / "00453").mkdir(parents=True)
    (tmp_path / "src" / "images" / "00453" / "004539375.jpg").write_bytes(JPEG)
    with pytest.raises(RowError, match=r"row 1: image '00223/002239345.jpg' is neither in images.zip"):
        normalize(tmp_path, "llava_pretrain", tmp_path / "src")


def test_null_field_names_dataset_file_row_and_field(tmp_path):
    rows = [
        {"question_id": 1, "question": "Q?", "multiple_choice_answer": "a", "image": cell(RED)},
        {"question_id": 2, "question": None, "multiple_choice_answer": "b", "image": cell(RED)},
    ]
    write_rows(tmp_path / "src" / "data" / "train-00000-of-00001.parquet", rows)
    with pytest.raises(RowError) as caught:
        normalize(tmp_path, "vqav2", tmp_path / "src")
    message = str(caught.value)
    assert "'vqav2'" in message and "data/train-00000-of-00001.parquet" in message
    assert "row 1" in message and "'question'" in message


def test_missing_column_names_the_field(tmp_path):
    rows = [{"question": "Which?", "options": ["a", "b"], "image": cell(RED)}]
    write_rows(tmp_path / "src" / "data" / "test-00000-of-00001.parquet", rows)
    with pytest.raises(
        RowError, match=r"dataset 'ai2d', file 'data/test-00000-of-00001.parquet', row 0: missing field 'answer'"
    ):
        normalize(tmp_path, "ai2d", tmp_path / "src")


def test_bad_image_bytes_are_an_error(tmp_path):
    rows = [{"question_id": 1, "question": "Q?", "multiple_choice_answer": "a", "image": cell(b"not an image")}]
    write_rows(tmp_path / "src" / "data" / "train-00000-of-00001.parquet", rows)
    with pytest.raises(RowError, match="row 0: bad image"):
        normalize(tmp_path, "vqav2", tmp_path / "src")


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("name", VISION_DATASETS)
def test_toy_source_normalizes_and_is_seeded(tmp_path, name):
    generate = toy_generator(name).generate
    generate(tmp_path / "a", 24, 0)
    generate(tmp_path / "b", 24, 0)
    generate(tmp_path / "c", 24, 1)
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")
    assert tree_bytes(tmp_path / "a") != tree_bytes(tmp_path / "c")
    records, images = normalize(tmp_path, name, tmp_path / "a")
    assert len(records) == 24
    for record in records.values():
        assert record.image is None or (images / record.image).is_file()
    if name == "scienceqa":
        assert {record.modality for record in records.values()} == {"text", "vision"}
        assert any(record.context for record in records.values())
    if name == "realworldqa":
        assert {record.answer_type for record in records.values()} == {"mc", "short"}
    if name in ("pope", "gqa"):
        answers = [record.answer for record in records.values()]
        assert "yes" in answers and "no" in answers


def test_unknown_option_is_an_error(tmp_path):
    toy_generator("pope").generate(tmp_path / "src", 2, 0)
    with pytest.raises(ConfigError, match=r"datasets\.pope\.options: unknown option\(s\) limit; pope takes no options"):
        normalize_dataset("pope", tmp_path / "src", tmp_path / "pope.jsonl", tmp_path / "images", options={"limit": 1})
