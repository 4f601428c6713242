import random

import pytest

from mlan.data.records import Record
from mlan.data.templates import Instructions, conversation, human_turn
from mlan.errors import ConfigError


def record(**overrides):
    fields = dict(
        id="1",
        dataset="x",
        task="qa",
        modality="text",
        answer_type="mc",
        question="Which one?",
        answer="B",
        choices=["red", "blue"],
        context=None,
        image=None,
    )
    return Record(**{**fields, **overrides})


def test_prompt_tables_are_the_papers(instructions):
    assert {kind: len(p) for kind, p in instructions.prompts.items()} == {
        "mc": 20,
        "short": 20,
        "yesno": 20,
        "direct": 20,
    }
    assert instructions.prompts["mc"][0] == "Choose the correct answer from the following options:"
    assert instructions.prompts["mc"][-1] == "Select the correct answer from these options:"
    assert instructions.prompts["short"][-1] == "Give a brief and accurate answer:"
    assert instructions.prompts["yesno"][0] == "Please answer the question with 'yes' or 'no'."
    assert instructions.prompts["yesno"][-1] == "Your response should be 'yes' or 'no'."
    assert instructions.prompts["direct"][0] == "To sum up, the direct answer is:"
    assert instructions.prompts["direct"][-1] == "To round off, the direct answer is:"
    assert all(line.endswith("the direct answer is:") for line in instructions.prompts["direct"])
    assert all(len(set(table)) == 20 for table in instructions.prompts.values())


def test_multiple_choice_layout(instructions):
    text = human_turn(record(context="The sky is blue."), "Pick one:", instructions.layout)
    assert text == "The sky is blue.\nWhich one?\nPick one:\nA. red\nB. blue"


def test_short_and_yesno_layouts(instructions):
    short = record(answer_type="short", choices=None, answer="red", question="What color?")
    assert human_turn(short, "Answer briefly:", instructions.layout) == "Answer briefly: What color?"
    yesno = record(answer_type="yesno", choices=None, answer="yes", question="Is it red?", context="It is red.")
    assert human_turn(yesno, "Say 'yes' or 'no'.", instructions.layout) == "It is red.\nIs it red?\nSay 'yes' or 'no'."


def test_image_placeholder_comes_first(instructions):
    text = human_turn(record(modality="vision", image="x/1.png"), "Pick one:", instructions.layout)
    assert text.startswith("<image>\nWhich one?")
    assert text.count("<image>") == 1


def test_target_is_a_direct_line_then_the_answer(instructions, rng):
    turns = conversation(record(), instructions, rng)
    assert [turn["from"] for turn in turns] == ["human", "gpt"]
    direct, answer = turns[1]["value"].rsplit(" ", 1)
    assert direct in instructions.prompts["direct"] and answer == "B"
    assert any(prompt in turns[0]["value"] for prompt in instructions.prompts["mc"])


@pytest.mark.parametrize("answer", ["know", "eyes", "no way"])
def test_prompt_table_follows_answer_type_not_answer_text(instructions, answer):
    """The paper's code picked yes/no prompts when the answer contained 'no'/'yes'."""
    short = record(answer_type="short", choices=None, answer=answer)
    for seed in range(30):
        human = conversation(short, instructions, random.Random(seed))[0]["value"]
        assert not any(prompt in human for prompt in instructions.prompts["yesno"])
        assert any(prompt in human for prompt in instructions.prompts["short"])


def test_prompts_are_seeded(instructions):
    first = [conversation(record(), instructions, random.Random(7)) for _ in range(2)]
    assert first[0] == first[1]
    drawn = {conversation(record(), instructions, random.Random(seed))[0]["value"] for seed in range(50)}
    assert len(drawn) > 5


def test_incomplete_instruction_file_is_named(tmp_path):
    path = tmp_path / "instructions.yaml"
    path.write_text("layout: {mc: x, short: y, yesno: z}\ntarget: t\nmc: [a]\nshort: [b]\nyesno: [c]\n")
    with pytest.raises(ConfigError, match=r"instructions.yaml: missing key\(s\) direct"):
        Instructions.load(path)


def test_the_answer_only_overlay_differs_from_the_papers_instructions_in_the_target_alone():
    """benchmarks/overlays/instructions_answer_only.yaml (docs/benchmarks.md, "The answer
    alone as the target") is config/instructions.yaml but for the assistant's target: a
    training instance is the same user turn with the answer and no Table 10 line before it."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    papers = Instructions.load(root / "config" / "instructions.yaml")
    answer_only = Instructions.load(root / "benchmarks" / "overlays" / "instructions_answer_only.yaml")
    assert (answer_only.layout, answer_only.prompts) == (papers.layout, papers.prompts)
    assert (papers.target, answer_only.target) == ("{direct} {answer}", "{answer}")
    turns = conversation(record(), answer_only, random.Random(0))
    assert turns == [{**conversation(record(), papers, random.Random(0))[0]}, {"from": "gpt", "value": "B"}]
