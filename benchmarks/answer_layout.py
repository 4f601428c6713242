"""Does a tiny LLM that answers yes or no in its own plain layout keep and learn it in the
paper's instruction layout? The overlay's pretrained LLM (config/pretrained_llm.yaml, rule
pretrain_llm: it answers toy StrategyQA after "Q: ... A:") assembled into the default's tiny
LLaVA, then finetuned through the real training code on toy StrategyQA in the Vicuna frame,
the human turn and the target built by mlan.data.templates.conversation from
config/instructions.yaml with parts left out or fixed: no instruction and no Table 10 line;
one instruction (Table 9's first); one answer line (Table 10's first); both; the paper's
(one of 20 of each drawn per row).

Scores, on held-out rows (another seed's) laid out as the run trained: the share whose
" yes" outscores " no" (or the reverse) at the answer's position (teacher-forced: what the
model would answer after the frame, prompt and Table 10 line), and the same model's share
in the pretraining's plain layout (what it kept). ~21 min on 2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import tempfile
from pathlib import Path

from benchmarks import report
from benchmarks.llm_pretraining import DEFAULT, HELD_OUT_SEED, SPEC, toy_records

ROOT = Path(__file__).resolve().parents[1]
ROWS, HELD_OUT = 2000, 200
# (what the user turn and the target hold, finetuning steps): 8 rows a step, 3e-4 (the
# pretraining's rate), the default's recipe otherwise
RUNS = [
    ("passage and question; bare answer", 1500),
    ("+ one instruction", 1500),
    ("+ one answer line", 1500),
    ("+ one instruction + one answer line", 1500),
    ("+ one instruction + one answer line", 3000),
    ("+ the paper's 20 instructions x 20 answer lines", 1500),
    ("+ the paper's 20 instructions x 20 answer lines", 3000),
]
LEARNING_RATE = 3e-4


def instructions_for(layout: str):
    """config/instructions.yaml with the parts ``layout`` leaves out or fixes."""
    from mlan.data.templates import Instructions

    paper = Instructions.load(ROOT / DEFAULT["instructions"])
    if "paper's" in layout:
        return paper
    prompts = {kind: drawn[:1] for kind, drawn in paper.prompts.items()}
    kept = dataclasses.replace(paper, prompts=prompts)
    if "instruction" not in layout:  # the layout without its {instruction} line
        kept = dataclasses.replace(kept, layout=kept.layout | {"yesno": "{context}{question}"})
    if "answer line" not in layout:
        kept = dataclasses.replace(kept, target="{answer}")
    return kept


def instances(records, layout: str, seed: int, count: int) -> list[dict]:
    from mlan.data.templates import conversation

    rng, chosen = random.Random(seed), instructions_for(layout)
    return [
        {"id": f"strategyqa-{index}", "dataset": "strategyqa",
         "conversations": conversation(records[index % len(records)], chosen, rng)}
        for index in range(count)
    ]  # fmt: skip


def yes_no_ids(tokenizer) -> tuple[int, int]:
    yes, no = (tokenizer(word, add_special_tokens=False).input_ids for word in (" yes", " no"))
    if len(yes) != 1 or len(no) != 1:
        raise SystemExit(f"' yes' and ' no' must be one token each, got {yes} and {no}")
    return yes[0], no[0]


def answered_in_frame(folder: Path, rows: list[dict], images: Path) -> float:
    """% of ``rows`` (conversations) whose answer token outscores the other one, teacher-forced,
    as the training code renders and encodes them."""
    import torch
    from transformers import AutoProcessor

    from mlan.training.model import load_model
    from mlan.training.training_data import IGNORE_INDEX, ConversationDataset

    processor = AutoProcessor.from_pretrained(folder)
    model = load_model(folder).eval()
    dataset = ConversationDataset(rows, processor, images, "vicuna_v1", DEFAULT["training"]["finetune"]["max_length"])
    yes, no = yes_no_ids(processor.tokenizer)
    right = 0
    for index in range(len(dataset)):
        item = dataset[index]
        ids, labels = item["input_ids"].tolist(), item["labels"].tolist()
        answers = zip(ids, labels, strict=True)
        position = max(p for p, (token, label) in enumerate(answers) if label != IGNORE_INDEX and token in (yes, no))
        with torch.no_grad():
            logits = model(input_ids=item["input_ids"][None, :position]).logits[0, -1]
        right += (yes if logits[yes] > logits[no] else no) == ids[position]
    return 100 * right / len(dataset)


def answered_plain(folder: Path, records) -> float:
    """% of ``records`` answered right (" yes" against " no") in the pretraining's plain layout."""
    import torch
    from transformers import AutoProcessor

    from mlan.training.language_pretraining import ANSWER_MARK, plain_text
    from mlan.training.model import load_model

    tokenizer = AutoProcessor.from_pretrained(folder).tokenizer
    model = load_model(folder).eval()
    yes, no = yes_no_ids(tokenizer)
    right = 0
    for record in records:
        text = plain_text(record)
        ids = tokenizer(text[: text.rindex(ANSWER_MARK) + len(ANSWER_MARK)], return_tensors="pt").input_ids
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, -1]
        right += ("yes" if logits[yes] > logits[no] else "no") == record.answer
    return 100 * right / len(records)


def scores(folder: Path, rows: list[dict], records, images: Path) -> dict:
    """The held-out share in the run's layout (``rows``) and in the plain one (``records``)."""
    in_frame, plain = answered_in_frame(folder, rows, images), answered_plain(folder, records)
    return {"in_frame": round(in_frame, 1), "plain": round(plain, 1)}


def pretrained_base(work: Path, steps: int | None = None) -> Path:
    """The overlay's processor and pretrained LLM (its corpus, seed and settings) assembled
    into the tiny LLaVA (random tower and projector, as rule assemble_model builds it)."""
    import torch
    from transformers import AutoModelForCausalLM

    from mlan.catalog import PRETRAIN_DATASETS, TRAIN_DATASETS
    from mlan.training.backbone import text_config
    from mlan.training.language_pretraining import build_corpus, pretrain_language_model, read_corpus
    from mlan.training.model import build_base_model
    from mlan.training.portable import make_portable
    from mlan.training.processor import build_processor

    settings = SPEC["llm_pretraining"] | ({"steps": steps} if steps else {})
    build_corpus(settings["corpus"], settings["seed"], work / "corpus.jsonl")
    texts = read_corpus(work / "corpus.jsonl")
    rows = {name: DEFAULT["datasets"][name]["source"]["toy"]["rows"] for name in TRAIN_DATASETS + PRETRAIN_DATASETS}
    processor, _ = build_processor("tiny", SPEC, list(toy_records(work, rows, DEFAULT["toy_seed"]).values()), texts)
    torch.manual_seed(settings["seed"])
    language_model = AutoModelForCausalLM.from_config(text_config("tiny", SPEC["llm"], len(processor.tokenizer)))
    pretrain_language_model(language_model, processor.tokenizer, texts, settings, work / "llm")
    base = work / "base"
    model = build_base_model("tiny", SPEC, processor.tokenizer, seed=0, language_model=work / "llm")
    model.save_pretrained(base)
    processor.save_pretrained(base)
    make_portable(base)
    return base


def main() -> None:
    from mlan.data.records import read_records
    from mlan.evaluation.baselines import prior_only_score
    from mlan.training.settings import Settings
    from mlan.training.train import train

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "answer_layout.json")
    parser.add_argument("--doc", type=Path, default=None, help="append the rows to this file's table")
    parser.add_argument("--quick", action="store_true", help="20 steps a run: a check of the script")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="mlan-answer-layout-"))
    base = pretrained_base(work, 20 if args.quick else None)
    train_rows = read_records(toy_records(work, {"strategyqa": ROWS}, DEFAULT["toy_seed"])["strategyqa"])
    held = read_records(toy_records(work, {"strategyqa": HELD_OUT}, HELD_OUT_SEED)["strategyqa"])
    images = work / "images"
    images.mkdir(exist_ok=True)
    recipe = DEFAULT["training"]["finetune"]
    batch = recipe["global_batch_size"]
    bare = instances(held, RUNS[0][0], HELD_OUT_SEED, HELD_OUT)
    runs = [{"layout": "none (the pretrained LLM)", "steps": 0, **scores(base, bare, held, images)}]
    print(runs[-1], flush=True)
    for number, (layout, steps) in enumerate(RUNS):
        steps = 20 if args.quick else steps
        data = work / f"run-{number}.json"
        data.write_text(json.dumps(instances(train_rows, layout, 0, steps * batch)))
        settings = Settings(**{**recipe, "epochs": 1, "seed": 42, "learning_rate": LEARNING_RATE})
        output = work / f"run-{number}"
        train("finetune", base, data, images, output, work / f"run-{number}.ckpt", settings)
        held_rows = instances(held, layout, HELD_OUT_SEED, HELD_OUT)
        runs.append({"layout": layout, "steps": steps, **scores(output, held_rows, held, images)})
        print(runs[-1], flush=True)
    prior = round(prior_only_score("strategyqa", held), 1)
    figures = {"learning_rate": LEARNING_RATE, "held_out_rows": HELD_OUT, "prior_only": prior, "runs": runs}
    result = report.record(figures)
    for run in runs:
        row = [result["date"], run["layout"], run["steps"], run["in_frame"], run["plain"], prior]
        report.write(result, args.out, args.doc, "answer_layout", row)


if __name__ == "__main__":
    main()
