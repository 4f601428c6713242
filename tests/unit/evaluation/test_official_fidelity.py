"""The `official` protocol against what the authors' code renders (tests/fixtures/official,
README there): rows in each hub schema go through this project's adapters, then its
official prompts, token ids, answer filters, training layout and label masking, and must
equal the official output character for character and id for id."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT
from PIL import Image

from mlan.data.conversation import vicuna_v1
from mlan.data.records import IMAGE_TOKEN
from mlan.data.sources import adapter
from mlan.data.sources.raw import RawSource
from mlan.data.templates import Formatting, conversation
from mlan.evaluation.metrics import pope
from mlan.evaluation.prompts import eval_items
from mlan.evaluation.protocol import Protocol
from mlan.evaluation.scoring import pope_count, score_item
from mlan.training.input_ids import llava_input_ids
from mlan.training.training_data import encode

FIXTURES = ROOT / "tests" / "fixtures" / "official"
EVALUATION = json.loads((FIXTURES / "evaluation.json").read_text())
TRAINING = json.loads((FIXTURES / "training.json").read_text())
OFFICIAL = Protocol.from_config({}, "official")
LANGUAGE = ("race", "openbookqa", "boolq", "hellaswag")
PLACEHOLDER = -200  # LLaVA's IMAGE_TOKEN_INDEX in the fixtures' ids


def picture() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return {"bytes": buffer.getvalue(), "path": None}


class ImageStore:
    """Stands in for mlan.data.images.ImageStore: names each image by its stem."""

    def save(self, data: bytes, stem: str) -> str:
        return f"{stem}.png"


def records_of(name: str, docs: list[dict], root: Path):
    """The rows written where the adapter looks for them, normalized by it."""
    spec = adapter(name).SPEC
    rows = [{**doc, "image": picture()} if doc.get("image") is True else dict(doc) for doc in docs]
    files = {"main": rows}
    if name == "gqa":
        files = {"questions": rows, "images": [{"id": row["imageId"], "image": picture()} for row in rows]}
    elif name == "arc":
        files = {"challenge": rows, "easy": rows[:0] or [rows[0] | {"id": "unused"}]}
    for part, part_rows in files.items():
        path = root / spec.parts[part].replace("*", "x")
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(part_rows), path)
    found = list(adapter(name).normalize(RawSource(root, spec), ImageStore()))
    return [record for record in found if record.id != "unused"]


@pytest.fixture(scope="module")
def tokenizers(tmp_path_factory):
    """The fixtures' sentencepiece model in both hub layouts this project loads: Llama 2's
    (with tokenizer.json) and Vicuna's (tokenizer.model only), as AutoTokenizer reads them."""
    from transformers import AutoTokenizer

    from mlan.standin.weights import write_tokenizer_files
    from mlan.training.processor import ADDED_TOKENS

    found = {}
    for layout in ("llama2", "vicuna"):
        folder = tmp_path_factory.mktemp(layout)
        write_tokenizer_files(folder, layout, (FIXTURES / "tokenizer.model").read_bytes())
        found[layout] = (AutoTokenizer.from_pretrained(folder), AutoTokenizer.from_pretrained(folder, **ADDED_TOKENS))
    return found


@pytest.fixture(scope="module")
def official_items(tmp_path_factory, instructions):
    found = {}
    for benchmark, cases in EVALUATION.items():
        if benchmark == "pope_aggregate":
            continue
        records = records_of(benchmark, [case["doc"] for case in cases], tmp_path_factory.mktemp(benchmark))
        found[benchmark] = eval_items(benchmark, records, instructions, OFFICIAL)
    return found


def test_the_fixtures_cover_all_nine_benchmarks_and_seven_training_sets():
    assert set(EVALUATION) - {"pope_aggregate"} == set(LANGUAGE) | {"gqa", "realworldqa", "ai2d", "pope", "scienceqa"}
    assert set(TRAINING) == {"squad", "cosmosqa", "strategyqa", "commonsenseqa", "arc", "vqav2", "aokvqa"}


@pytest.mark.parametrize("benchmark", sorted(set(EVALUATION) - {"pope_aggregate"}))
def test_official_prompts_equal_the_official_tasks(benchmark, official_items):
    items = official_items[benchmark]
    assert [item["context"] for item in items] == [case["context"] for case in EVALUATION[benchmark]]
    assert [item["official"]["target"] for item in items] == [case["target"] for case in EVALUATION[benchmark]]
    # the harness that serves them: lm-eval for the four language tasks, lmms-eval for
    # the rest, ScienceQA's text rows included
    assert {item["harness"] for item in items} == {"lm_eval" if benchmark in LANGUAGE else "lmms_eval"}


@pytest.mark.parametrize("layout", ["llama2", "vicuna"])
@pytest.mark.parametrize("benchmark", sorted(set(EVALUATION) - {"pope_aggregate"}))
def test_official_prompt_token_ids_bos_included(benchmark, layout, tokenizers, official_items):
    plain, _ = tokenizers[layout]
    for item, case in zip(official_items[benchmark], EVALUATION[benchmark], strict=True):
        if benchmark in LANGUAGE:  # lm-eval's hf model tokenizes the prompt itself
            ids = language_ids(item["context"], plain, OFFICIAL.language_bos)
        else:  # the lmms-eval model of this project
            ids = llava_input_ids(item["context"], plain, PLACEHOLDER, 1)
        assert ids == case["input_ids"], item["id"]


def language_ids(context: str, tokenizer, bos: bool) -> list[int]:
    """What lm-eval's HFLM feeds the model for a prompt (its own tok_batch_encode)."""
    import torch
    from lm_eval.models.huggingface import HFLM
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    model = LlamaForCausalLM(
        LlamaConfig(vocab_size=len(tokenizer), hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                    num_attention_heads=2, num_key_value_heads=2)
    )  # fmt: skip
    lm = HFLM(pretrained=model, tokenizer=tokenizer, add_bos_token=bos, batch_size=1, device="cpu")
    encoded, _ = lm.tok_batch_encode([context])
    return encoded[0].tolist()


def test_the_clean_protocol_puts_a_bos_before_language_prompts(tokenizers):
    plain, _ = tokenizers["llama2"]
    clean = Protocol.from_config({}, "clean")
    assert language_ids("User: hello", plain, clean.language_bos)[0] == plain.bos_token_id
    assert language_ids("User: hello", plain, OFFICIAL.language_bos)[0] != plain.bos_token_id


@pytest.mark.parametrize("benchmark", sorted(set(EVALUATION) - {"pope_aggregate"}))
def test_official_answer_filters_and_exact_match(benchmark, official_items):
    for item, case in zip(official_items[benchmark], EVALUATION[benchmark], strict=True):
        for outcome in case["outcomes"]:
            line = score_item(item, outcome["generation"], OFFICIAL)
            assert (line["prediction"], line["correct"]) == (outcome["prediction"], outcome["correct"]), (
                item["id"],
                outcome["generation"],
            )


def test_pope_f1_leaves_replies_neither_yes_nor_no_out_of_the_false_negatives():
    fixture = EVALUATION["pope_aggregate"]
    samples = [
        {"prediction": reply, "answer": gold, "correct": reply == gold, "counted_as": pope_count(reply, OFFICIAL)}
        for gold, reply in fixture["pairs"]
    ]
    found = pope(samples)
    for ours, theirs in (("precision", "precision"), ("recall", "recall"), ("f1", "f1_score")):
        assert found[ours] == pytest.approx(100 * fixture["metrics"][theirs])
    assert found["accuracy"] == pytest.approx(100 * fixture["metrics"]["accuracy"])
    # the clean protocol counts such a reply as "no": one more false negative
    clean = Protocol.from_config({}, "clean")
    as_no = pope([s | {"counted_as": pope_count(s["prediction"], clean)} for s in samples])
    assert as_no["confusion"]["fn"] == found["confusion"]["fn"] + 1 and as_no["recall"] < found["recall"]


class Picks:
    """An rng that draws the fixture's instruction, then "In short, the direct answer is:"."""

    def __init__(self, index: int):
        self.calls = [index, 8]

    def choice(self, sequence):
        return sequence[self.calls.pop(0) % len(sequence)]


@pytest.fixture(scope="module")
def training_conversations(tmp_path_factory, instructions):
    formatting = Formatting.from_config({}, "official")
    found = {}
    for dataset, cases in TRAINING.items():
        records = records_of(dataset, [case["doc"] for case in cases], tmp_path_factory.mktemp(dataset))
        found[dataset] = [
            conversation(record, instructions, Picks(case["instruction_index"]), formatting)
            for record, case in zip(records, cases, strict=True)
        ]
    return found


@pytest.mark.parametrize("dataset", sorted(TRAINING))
def test_official_training_layout_equals_the_official_data_code(dataset, training_conversations):
    for turns, case in zip(training_conversations[dataset], TRAINING[dataset], strict=True):
        assert turns[0]["value"] == case["human"]
        assert turns[1]["value"] == case["gpt"]
        assert vicuna_v1(turns, "</s>")[0] == case["prompt"]


@pytest.mark.parametrize("layout", ["llama2", "vicuna"])
@pytest.mark.parametrize("dataset", sorted(TRAINING))
def test_training_token_ids_and_labels_equal_the_fork(dataset, layout, tokenizers, training_conversations):
    _, with_image_token = tokenizers[layout]
    image = with_image_token.convert_tokens_to_ids(IMAGE_TOKEN)
    for turns, case in zip(training_conversations[dataset], TRAINING[dataset], strict=True):
        ids, labels = encode(*vicuna_v1(turns, "</s>"), with_image_token, 1, None)
        assert ids == [image if i == PLACEHOLDER else i for i in case["input_ids"]]
        assert labels == [image if i == PLACEHOLDER else i for i in case["labels"]]


def test_the_clean_layout_is_one_switch_away(training_conversations, tmp_path, instructions):
    """protocol: clean draws the same prompts but lays them out as the paper's templates,
    with the yes/no prompts for the datasets whose answer type is yes/no only."""
    records = records_of("vqav2", [case["doc"] for case in TRAINING["vqav2"]], tmp_path)
    clean = Formatting.from_config({}, "clean")
    snow = next(r for r in records if r.answer == "snow")
    official_turn = training_conversations["vqav2"][[r.answer for r in records].index("snow")][0]["value"]
    clean_turn = conversation(snow, instructions, Picks(2), clean)[0]["value"]
    assert "'yes' or 'no'" in official_turn and "'yes' or 'no'" not in clean_turn
    assert clean_turn.startswith(f"{IMAGE_TOKEN}\n") and "\n\n" not in clean_turn
