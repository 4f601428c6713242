"""Label masking, checked token by token on hand-written examples."""

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

from mlan.data.conversation import plain, vicuna_v1
from mlan.training.training_data import IGNORE_INDEX, Collator, encode

WORDS = [
    "<unk>",
    "<s>",
    "</s>",
    "<pad>",
    "<image>",
    "USER",
    "ASSISTANT",
    ":",
    "Is",
    "it",
    "red",
    "?",
    "yes",
    "no",
    "In",
    "short",
    ",",
    "the",
    "direct",
    "answer",
    "is",
    "And",
    "blue",
    "a",
    "circle",
]


@pytest.fixture(scope="module")
def tokenizer():
    """Word-level, so every expected token can be written down by hand."""
    core = Tokenizer(models.WordLevel({word: i for i, word in enumerate(WORDS)}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        extra_special_tokens={"image_token": "<image>"},
    )


def supervised(tokenizer, ids, labels):
    return [tokenizer.convert_ids_to_tokens(i) for i, label in zip(ids, labels, strict=True) if label != IGNORE_INDEX]


def test_only_the_answer_and_eos_carry_loss(tokenizer):
    turns = [{"from": "human", "value": "Is it red?"}, {"from": "gpt", "value": "In short, the direct answer is: yes"}]
    ids, labels = encode(*vicuna_v1(turns, "</s>"), tokenizer, image_tokens=3, max_length=512)
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert tokens[0] == "<s>"
    assert tokens[-18:] == [
        "USER",
        ":",
        "Is",
        "it",
        "red",
        "?",
        "ASSISTANT",
        ":",
        "In",
        "short",
        ",",
        "the",
        "direct",
        "answer",
        "is",
        ":",
        "yes",
        "</s>",
    ]
    assert supervised(tokenizer, ids, labels) == [
        "In",
        "short",
        ",",
        "the",
        "direct",
        "answer",
        "is",
        ":",
        "yes",
        "</s>",
    ]
    # everything up to and including "ASSISTANT :" is masked, the BOS too
    assert labels[: tokens.index("ASSISTANT") + 2] == [IGNORE_INDEX] * (tokens.index("ASSISTANT") + 2)


def test_every_answer_of_a_multi_turn_conversation_and_no_question(tokenizer):
    turns = [
        {"from": "human", "value": "Is it red?"},
        {"from": "gpt", "value": "yes"},
        {"from": "human", "value": "Is it blue?"},
        {"from": "gpt", "value": "no"},
    ]
    ids, labels = encode(*vicuna_v1(turns, "</s>"), tokenizer, image_tokens=3, max_length=512)
    assert supervised(tokenizer, ids, labels) == ["yes", "</s>", "no", "</s>"]


def test_image_placeholder_is_expanded_and_masked(tokenizer):
    turns = [{"from": "human", "value": "<image>\nIs it red?"}, {"from": "gpt", "value": "yes"}]
    ids, labels = encode(*vicuna_v1(turns, "</s>"), tokenizer, image_tokens=3, max_length=512)
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert tokens.count("<image>") == 3
    start = tokens.index("<image>")
    assert tokens[start - 2 : start + 3] == ["USER", ":", "<image>", "<image>", "<image>"]
    assert all(labels[start + k] == IGNORE_INDEX for k in range(3))
    assert supervised(tokenizer, ids, labels) == ["yes", "</s>"]


def test_pretraining_supervises_the_caption_only(tokenizer):
    turns = [{"from": "human", "value": "Is it red?\n<image>"}, {"from": "gpt", "value": "a red circle"}]
    ids, labels = encode(*plain(turns, "</s>"), tokenizer, image_tokens=2, max_length=512)
    assert tokenizer.convert_ids_to_tokens(ids) == ["<s>", "<image>", "<image>", "a", "red", "circle"]
    assert supervised(tokenizer, ids, labels) == ["a", "red", "circle"]


def test_collator_pads_right_and_masks_padding():
    import torch

    items = [
        {"input_ids": torch.tensor([1, 5, 6]), "labels": torch.tensor([-100, 5, 6])},
        {"input_ids": torch.tensor([1, 7]), "labels": torch.tensor([-100, 7]), "pixel_values": torch.zeros(3, 4, 4)},
    ]
    batch = Collator(pad_token_id=3)(items)
    assert batch["input_ids"].tolist() == [[1, 5, 6], [1, 7, 3]]
    assert batch["labels"].tolist() == [[-100, 5, 6], [-100, 7, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["pixel_values"].shape == (1, 3, 4, 4)
