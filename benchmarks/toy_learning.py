"""What the embedded default's tiny LLaVA learns, and in how many steps: each skill of the toy
world trained alone with the default's finetuning recipe (config/config.yaml) and scored on
held-out items through the real evaluation, beside the prior-only baseline
(mlan.evaluation.baselines: the best constant reply per question form).

Skills: reading a colour off a passage (toy SQuAD, held out: another seed), off an image
(toy VQAv2, scored on toy GQA), picking an option's letter (toy CosmosQA, held out) and
answering yes or no (toy StrategyQA, held out). tests/unit/training/test_learning.py builds on the same
world (``toy_world``, ``finetune``, ``scored``).

With ``--default RESULTS``: a finished default run's tables instead (its scores beside the
prior, the replies no answer was read from, the language benchmarks scored by option text).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import yaml

from benchmarks import report

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
ROWS = {"squad": 2000, "vqav2": 900, "gqa": 120, "cosmosqa": 2000, "strategyqa": 2000, "llava_pretrain": 64}
HELD_OUT = {"squad": 100, "cosmosqa": 100, "strategyqa": 100}  # another seed's rows
# (skill, trained on, scored on, instances drawn, epochs, learning rate): 8 instances a step;
# None is the default's rate (3e-3)
RUNS = [
    ("colour from a passage", "squad", "squad", 4000, 2, None),
    ("colour from a passage", "squad", "squad", 6000, 2, None),
    ("colour, kind or count from an image", "vqav2", "gqa", 900, 3, None),
    ("colour, kind or count from an image", "vqav2", "gqa", 900, 6, None),
    ("option letter from a passage", "cosmosqa", "cosmosqa", 12000, 2, None),
    ("yes or no from a passage", "strategyqa", "strategyqa", 12000, 2, None),
    ("yes or no from a passage", "strategyqa", "strategyqa", 12000, 2, 1e-3),
]


def protocol():
    from mlan.evaluation.protocol import Protocol

    return Protocol.from_config(DEFAULT["evaluation"], "clean")


def toy_world(root: Path, rows: dict[str, int] | None = None) -> Path:
    """The toy sets (``rows``), their held-out copies (``held-<name>``), the embedded
    default's processor and base model (its tiny config, random)."""
    from mlan.data.normalize import normalize_dataset
    from mlan.data.sources import toy_generator
    from mlan.training.model import build_base_model
    from mlan.training.portable import make_portable
    from mlan.training.processor import build_processor

    rows = rows or ROWS
    for name, count in rows.items():
        toy_generator(name).generate(root / "sources" / name, count, 0)
        normalize_dataset(name, root / "sources" / name, root / "data" / f"{name}.jsonl", root / "images")
    for name, count in HELD_OUT.items():
        if name in rows:
            toy_generator(name).generate(root / "sources" / f"held-{name}", count, 1)
            normalize_dataset(
                name, root / "sources" / f"held-{name}", root / "data" / f"held-{name}.jsonl", root / "images"
            )
    spec = DEFAULT["models"]["tiny"]
    processor, _ = build_processor("tiny", spec, [root / "data" / f"{name}.jsonl" for name in rows])
    model = build_base_model("tiny", spec, processor.tokenizer, seed=0)
    model.save_pretrained(root / "base")
    processor.save_pretrained(root / "base")
    make_portable(root / "base")
    return root


def finetune(
    toy: Path, name: str, dataset: str, count: int, epochs: int, base: Path | None = None, learning_rate=None
) -> Path:
    """The default's finetuning recipe (``learning_rate``: another rate) on ``count``
    instances drawn in turn from one toy set."""
    from mlan.data.records import read_records
    from mlan.data.templates import Instructions, conversation
    from mlan.training.settings import Settings
    from mlan.training.train import train

    records = read_records(toy / "data" / f"{dataset}.jsonl")
    rng = random.Random(0)
    instructions = Instructions.load(ROOT / "config" / "instructions.yaml")
    instances = []
    for index in range(count):
        record = records[index % len(records)]
        turns = conversation(record, instructions, rng)
        instance = {"id": f"{dataset}-{index}", "dataset": dataset, "conversations": turns}
        instances.append(instance | ({"image": record.image} if record.image else {}))
    data = toy / f"{name}.json"
    data.write_text(json.dumps(instances))
    recipe = DEFAULT["training"]["finetune"]
    rate = learning_rate or recipe["learning_rate"]
    settings = Settings(**{**recipe, "epochs": epochs, "seed": 42, "learning_rate": rate})
    train("finetune", base or toy / "base", data, toy / "images", toy / name, toy / f"{name}.ckpt", settings)
    return toy / name


PLAIN_ACCURACY = {"scorer": "accuracy", "headline": "accuracy"}


def scored(toy: Path, model: Path, benchmark: str, records, images: Path | None = None) -> float:
    """The model's headline score on ``records`` through the evaluation (prompts, harness,
    extraction, metric), under the default's protocol."""
    from mlan.benchmarks import BY_NAME, scoring
    from mlan.data.templates import Instructions
    from mlan.evaluation.prompts import eval_items
    from mlan.evaluation.run import evaluate

    out = Path(tempfile.mkdtemp(prefix=f"{model.name}-{benchmark}-", dir=toy))
    prompts = out / "prompts" / f"{benchmark}.jsonl"
    prompts.parent.mkdir()
    items = eval_items(benchmark, records, Instructions.load(ROOT / "config" / "instructions.yaml"), protocol())
    prompts.write_text("".join(json.dumps(item) + "\n" for item in items))
    # a held-out training set (toy SQuAD, StrategyQA) is scored by its accuracy
    scored_as = scoring([benchmark]) if benchmark in BY_NAME else {benchmark: PLAIN_ACCURACY}
    images = (images or toy / "images").resolve()
    return evaluate(model, [prompts], images, out, out / "work", protocol(), {}, scored_as)[benchmark]


def blanked(toy: Path) -> Path:
    """The images, each replaced by a flat grey picture of its size."""
    from PIL import Image

    folder = toy / "blank-images"
    if not folder.exists():
        for path in (toy / "images").rglob("*.*"):
            target = folder / path.relative_to(toy / "images")
            target.parent.mkdir(parents=True, exist_ok=True)
            with Image.open(path) as image:
                Image.new("RGB", image.size, (128, 128, 128)).save(target, format=image.format or "PNG")
    return folder


def headline_rows(results: Path) -> dict[str, dict[str, dict]]:
    """A finished default run's ``results/scores.csv``: each run's row of each benchmark's
    headline metric, by the run's table name (method and mixture) and the benchmark."""
    import csv

    from mlan.results.scores import HEADLINE

    runs: dict[str, dict[str, dict]] = {}
    with (results / "scores.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["metric"] == HEADLINE.get(row["benchmark"], "accuracy"):
                runs.setdefault(" ".join(filter(None, (row["method"], row["mix"]))), {})[row["benchmark"]] = row
    return runs


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def default_table(results: Path) -> str:
    """A finished default run's scores (``results/scores.csv``), a row per run, beside the
    prior-only baseline of each benchmark's items (``results/data``)."""
    from mlan.data.records import read_records
    from mlan.evaluation.baselines import prior_only_score

    benchmarks = DEFAULT["evaluation"]["benchmarks"]
    runs = {
        name: {benchmark: float(row["score"]) for benchmark, row in cells.items()}
        for name, cells in headline_rows(results).items()
    }
    priors = {name: prior_only_score(name, read_records(results / "data" / f"{name}.jsonl")) for name in benchmarks}
    rows = []
    for name, scores in [*runs.items(), ("prior only", priors)]:
        cells = [scores[benchmark] for benchmark in benchmarks]
        rows.append([name, *(f"{cell:.1f}" for cell in [*cells, sum(cells) / len(cells)])])
    return markdown_table(["run", *benchmarks, "average"], rows)


def run_of(row: dict):
    """The run (mlan.names.Run) of a ``results/scores.csv`` row."""
    from mlan.names import Mix, Run

    return Run(row["model"], Mix.parse(row["mix"]), int(row["seed"])) if row["mix"] else Run(row["model"])


def unreadable_table(results: Path) -> str:
    """Of each run's replies to each benchmark, the % no answer could be read from (an
    option, yes/no, a word: ``extraction_failures`` of ``results/eval``), which a
    multiple-choice score counts as wrong: why a score can fall below chance."""
    from mlan.names import EVAL_FOLDER

    benchmarks = DEFAULT["evaluation"]["benchmarks"]
    rows = []
    for name, cells in headline_rows(results).items():
        shares = []
        for benchmark in benchmarks:
            run = run_of(cells[benchmark])
            folder = results.parent / EVAL_FOLDER.format(model=run.model, run=run.name)
            found = json.loads((folder / f"{benchmark}.json").read_text())
            shares.append(f"{100 * found['extraction_failures'] / found['n']:.0f}")
        rows.append([name, *shares])
    return markdown_table(["run", *benchmarks], rows)


# The language benchmarks whose options' text (or yes/no) option_text_table scores.
TEXT_SCORED = ("race", "openbookqa", "hellaswag", "boolq")


def answer_texts(item: dict) -> list[str]:
    """A prompt item's options, or "yes" and "no" for a yes/no item."""
    return item["choices"] or ["yes", "no"]


def option_text_choice(model, tokenizer, item: dict) -> int:
    """The option (or "yes"/"no") whose text, after the prompt and a space as the training
    targets have it, the model finds most likely (the sum of its tokens' log-probabilities,
    lm-eval's multiple-choice scoring): does the model know the answer, letter aside?"""
    import torch

    prompt = tokenizer(item["context"]).input_ids
    scores = []
    for text in answer_texts(item):
        ids = tokenizer(f"{item['context']} {text}").input_ids
        if ids[: len(prompt)] != prompt:
            raise ValueError(f"item {item['id']}: the prompt's tokens change when '{text}' follows it")
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0, :-1]
        chosen = torch.log_softmax(logits.float(), -1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
        scores.append(chosen[len(prompt) - 1 :].sum().item())
    return max(range(len(scores)), key=scores.__getitem__)


def option_text_table(results: Path) -> str:
    """Accuracy (%) when each language benchmark is scored by its options' text instead of
    the generated reply (``option_text_choice``), per run, beside chance (a uniform guess);
    ``race colour``: RACE's colour questions alone, toy SQuAD's skill in RACE's wording."""
    from transformers import AutoTokenizer

    from mlan.data.records import LETTERS
    from mlan.data.toy.common import COLORS
    from mlan.training.model import load_model

    prompts = results / "eval" / "prompts" / DEFAULT["protocol"]
    items = {name: [json.loads(line) for line in (prompts / f"{name}.jsonl").open()] for name in TEXT_SCORED}
    items["race colour"] = [item for item in items["race"] if item["choices"][0] in COLORS]

    def gold(item: dict) -> int:
        return (LETTERS if item["choices"] else answer_texts(item)).index(item["answer"])

    def percent(values: list[float]) -> str:
        return f"{100 * sum(values) / len(values):.1f}"

    rows = []
    for name, cells in headline_rows(results).items():
        folder = results.parent / run_of(next(iter(cells.values()))).model_folder
        model, tokenizer = load_model(folder).eval(), AutoTokenizer.from_pretrained(folder)
        hits = {
            key: [option_text_choice(model, tokenizer, item) == gold(item) for item in found]
            for key, found in items.items()
        }
        rows.append([name, *(percent(found) for found in hits.values())])
    rows.append(["chance", *(percent([1 / len(answer_texts(item)) for item in found]) for found in items.values())])
    return markdown_table(["run", *items], rows)


def main() -> None:
    from mlan.data.records import read_records
    from mlan.evaluation.baselines import prior_only_score

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "toy_learning.json")
    parser.add_argument("--doc", type=Path, default=None, help="append the rows to this file's table")
    parser.add_argument(
        "--default",
        type=Path,
        default=None,
        help="only print this finished default run's tables (scores, unreadable replies, scored by option text)",
    )
    args = parser.parse_args()
    if args.default:
        print(default_table(args.default))
        print("\nReplies no answer could be read from (%):\n")
        print(unreadable_table(args.default))
        print("\nScored by the options' text instead of the reply (%):\n")
        print(option_text_table(args.default))
        return
    toy = toy_world(Path(args.work or tempfile.mkdtemp(prefix="mlan-toy-learning-")))
    runs = []
    for skill, trained_on, benchmark, count, epochs, rate in RUNS:
        held = f"held-{benchmark}" if benchmark in HELD_OUT else benchmark
        records = read_records(toy / "data" / f"{held}.jsonl")
        model = finetune(toy, f"{trained_on}-{count}x{epochs}-{rate}", trained_on, count, epochs, learning_rate=rate)
        steps = count * epochs // DEFAULT["training"]["finetune"]["global_batch_size"]
        rate = rate or DEFAULT["training"]["finetune"]["learning_rate"]
        score, baseline = scored(toy, model, benchmark, records), prior_only_score(benchmark, records)
        runs.append({"skill": skill, "trained_on": trained_on, "scored_on": benchmark, "steps": steps,
                     "learning_rate": rate, "score": round(score, 1), "prior_only": round(baseline, 1)})  # fmt: skip
        print(runs[-1], flush=True)
    result = report.record({"runs": runs})
    for run in runs:
        row = [result["date"], run["skill"], run["trained_on"], run["scored_on"], run["steps"], run["learning_rate"],
               run["score"], run["prior_only"]]  # fmt: skip
        report.write(result, args.out, args.doc, "toy_learning", row)


if __name__ == "__main__":
    main()
