import pytest

from mlan.data.conversation import VICUNA_SYSTEM, plain, vicuna_v1
from mlan.errors import SourceError
from mlan.training.processor import build_processor, image_tokens_per_image, train_tokenizer
from mlan.training.tokens import count_tokens

TURNS = [
    {"from": "human", "value": "<image>\nWhat color?"},
    {"from": "gpt", "value": "Overall, the direct answer is: red"},
]


def test_clip_l14_336_gives_576_image_tokens():
    assert image_tokens_per_image(336, 14) == 576
    assert image_tokens_per_image(32, 8) == 16


def test_vicuna_v1_text_and_loss_span():
    text, spans = vicuna_v1(TURNS, "</s>")
    assert text == f"{VICUNA_SYSTEM} USER: <image>\nWhat color? ASSISTANT: Overall, the direct answer is: red</s>"
    # the span holds the space before the answer: the fork labels every token after "ASSISTANT:"
    assert [text[a:b] for a, b in spans] == [" Overall, the direct answer is: red</s>"]


def test_plain_template_keeps_only_the_caption():
    text, spans = plain(
        [{"from": "human", "value": "Describe.\n<image>"}, {"from": "gpt", "value": "a red circle"}], "</s>"
    )
    assert text == "<image>a red circle\n"
    assert [text[a:b] for a, b in spans] == ["a red circle\n"]


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(["What color? red blue the direct answer is", "Overall, a red circle"] * 20, 300)


def test_counts_are_tokenizer_lengths_plus_image_tokens(tokenizer):
    text_only = {"conversations": [{"from": "human", "value": "What color?"}, {"from": "gpt", "value": "red"}]}
    with_image = {"conversations": TURNS, "image": "x/1.png"}
    counts = count_tokens([text_only, with_image], tokenizer, tokens_per_image=576)
    expected_text = len(tokenizer(vicuna_v1(text_only["conversations"], "</s>")[0]).input_ids)
    expected_vision = len(tokenizer(vicuna_v1(TURNS, "</s>")[0].replace("<image>", "")).input_ids)
    assert counts["text_tokens_by_modality"] == {"language": expected_text, "vision": expected_vision}
    assert counts["images"] == 1 and counts["image_tokens"] == 576
    assert counts["total_tokens"] == expected_text + expected_vision + 576
    assert tokenizer("red").input_ids[0] == tokenizer.bos_token_id  # BOS counted, as the LLM sees it


def test_content_counts_each_turns_text_alone(tokenizer):
    with_image = {"conversations": TURNS, "image": "x/1.png"}
    counts = count_tokens([with_image], tokenizer, tokens_per_image=576, count="content")
    question = tokenizer("What color?", add_special_tokens=False).input_ids
    answer = tokenizer("Overall, the direct answer is: red", add_special_tokens=False).input_ids
    assert counts["text_tokens"] == len(question) + len(answer) and counts["count"] == "content"
    framed = count_tokens([with_image], tokenizer, tokens_per_image=576, count="conversation")["text_tokens"]
    assert framed > counts["text_tokens"] + 20  # the Vicuna system prompt alone
    with pytest.raises(ValueError, match="analysis.token_count: 'words'"):
        count_tokens([with_image], tokenizer, tokens_per_image=576, count="words")


@pytest.mark.parametrize("count", ["content", "conversation"])
def test_counting_in_chunks_gives_the_whole_counts(tokenizer, monkeypatch, count):
    import mlan.training.tokens as tokens

    instances = [
        {"conversations": [{"from": "human", "value": "What color? " * (i % 4)}, {"from": "gpt", "value": "red " * i}]}
        for i in range(11)
    ] + [{"conversations": TURNS, "image": "x/1.png"}]
    whole = count_tokens(instances, tokenizer, tokens_per_image=576, count=count)
    monkeypatch.setattr(tokens, "CHUNK", 3)  # 12 instances: four chunks, the image in the last
    assert count_tokens(instances, tokenizer, tokens_per_image=576, count=count) == whole
    assert whole["text_tokens"] == sum(tokens.text_lengths(instances, tokenizer, count, "vicuna_v1"))


def test_missing_weights_folder_is_named(tmp_path):
    spec = {
        "llm": {"source": str(tmp_path / "no-such-llama")},
        "vision": {"config": {"image_size": 32, "patch_size": 8}},
    }
    with pytest.raises(
        SourceError,
        match=r"model 'broken': the tokenizer folder '.*no-such-llama' \(models\.broken\.llm\.source\) does not exist",
    ):
        build_processor("broken", spec, [])
