"""What a tiny LLM learns in its own pretraining (rule pretrain_llm, the overlay
config/pretrained_llm.yaml on the embedded default), by rate and steps: the real corpus builder and training
(mlan/training/language_pretraining.py) on the default's corpus, then greedy answers on
held-out rows in the corpus's plain layout (another seed's): a colour off a passage (toy
SQuAD), yes or no (toy StrategyQA) and an option letter (toy CosmosQA), beside what the
question alone gives at best (mlan.evaluation.baselines.prior_only_score). ~11 min on 2 cores.
``--corpus squad=3000,cosmosqa=3000 --steps 3000 --batch-size 32`` runs one other corpus and
length instead (~10 min).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import yaml

from benchmarks import report

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
OVERLAY = yaml.safe_load((ROOT / "config" / "pretrained_llm.yaml").read_text())["models"]["tiny"]
SPEC = DEFAULT["models"]["tiny"] | {
    "llm": DEFAULT["models"]["tiny"]["llm"] | OVERLAY["llm"],
    "llm_pretraining": OVERLAY["llm_pretraining"],
}
HELD_OUT = {"squad": 100, "strategyqa": 100, "cosmosqa": 100}
HELD_OUT_SEED = 1  # neither the default's toy_seed (0) nor its corpus seed (7)
# (learning rate, steps, what the tokenizer learned from): the default's; fewer steps; a higher
# rate; the tokenizer of the toy records alone (" yes" and " no" both start with a bare space)
DEFAULT_RUN = (SPEC["llm_pretraining"]["learning_rate"], SPEC["llm_pretraining"]["steps"], "records + corpus")
RUNS = [DEFAULT_RUN, (3e-4, 1000, "records + corpus"), (1e-3, 2000, "records + corpus"), (3e-4, 2000, "records")]


def corpus_rows(text: str) -> dict[str, int]:
    """``squad=3000,cosmosqa=3000`` as {set: rows}."""
    rows = {}
    for item in text.split(","):
        name, _, count = item.partition("=")
        if not name.strip() or not count.isdigit() or int(count) < 1:
            raise argparse.ArgumentTypeError(f"'{item}' is not NAME=ROWS")
        rows[name.strip()] = int(count)
    return rows


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number above 0")
    return int(text)


def toy_records(work: Path, rows: dict[str, int], seed: int) -> dict[str, Path]:
    from mlan.data.normalize import normalize_dataset
    from mlan.data.sources import toy_generator

    found = {}
    for name, count in rows.items():
        source = work / f"sources-{seed}" / name
        toy_generator(name).generate(source, count, seed)
        found[name] = work / f"{name}-{seed}.jsonl"
        normalize_dataset(name, source, found[name], work / "images")
    return found


def default_tokenizer(work: Path, texts: list[str]):
    """The tokenizer the default trains (rule processor): on its toy training sets' records
    and the LLM's corpus (``texts``)."""
    from mlan.catalog import PRETRAIN_DATASETS, TRAIN_DATASETS
    from mlan.training.processor import build_processor

    rows = {name: DEFAULT["datasets"][name]["source"]["toy"]["rows"] for name in TRAIN_DATASETS + PRETRAIN_DATASETS}
    files = toy_records(work, rows, DEFAULT["toy_seed"])
    return build_processor("tiny", SPEC, list(files.values()), texts)[0].tokenizer


def answered(model, tokenizer, records) -> float:
    """% of ``records`` whose greedy continuation after "A:" starts with the answer."""
    import torch

    from mlan.training.language_pretraining import ANSWER_MARK, plain_text

    right = 0
    for record in records:
        text = plain_text(record)
        ids = tokenizer(text[: text.rindex(ANSWER_MARK) + len(ANSWER_MARK)], return_tensors="pt").input_ids
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=4, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        reply = tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True).strip().lower()
        right += reply.split()[:1] == [record.answer.lower()]
    return 100 * right / len(records)


def main() -> None:
    import time

    import torch
    from transformers import AutoModelForCausalLM

    from mlan.data.records import read_records
    from mlan.evaluation.baselines import prior_only_score
    from mlan.training.backbone import text_config
    from mlan.training.language_pretraining import build_corpus, pretrain_language_model, read_corpus

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default: benchmarks/results/llm_pretraining.json, or llm_pretraining_corpus.json with --corpus",
    )
    parser.add_argument("--doc", type=Path, default=None, help="append the rows to this file's table")
    parser.add_argument("--corpus", type=corpus_rows, default=None, help="one run on these sets: NAME=ROWS,...")
    parser.add_argument("--steps", type=positive, default=None, help="with --corpus: steps (default: the overlay's)")
    parser.add_argument("--batch-size", type=positive, default=None, help="with --corpus: texts a step")
    args = parser.parse_args()
    if (args.steps or args.batch_size) and not args.corpus:
        parser.error("--steps and --batch-size go with --corpus")
    work = Path(args.work or tempfile.mkdtemp(prefix="mlan-llm-pretraining-"))
    out = args.out or ROOT / "benchmarks" / "results" / f"llm_pretraining{'_corpus' if args.corpus else ''}.json"
    settings, runs_to_do = SPEC["llm_pretraining"], RUNS
    if args.corpus:
        steps, batch_size = args.steps or settings["steps"], args.batch_size or settings["batch_size"]
        settings = settings | {"corpus": args.corpus, "steps": steps, "batch_size": batch_size}
        runs_to_do = [(settings["learning_rate"], settings["steps"], "records + corpus")]
    build_corpus(settings["corpus"], settings["seed"], work / "corpus.jsonl")
    texts = read_corpus(work / "corpus.jsonl")
    records = {name: read_records(path) for name, path in toy_records(work, HELD_OUT, HELD_OUT_SEED).items()}
    tokenizers = {"records + corpus": default_tokenizer(work, texts), "records": default_tokenizer(work, [])}
    runs = []
    for rate, steps, learned_from in runs_to_do:
        tokenizer = tokenizers[learned_from]
        torch.manual_seed(settings["seed"])
        model = AutoModelForCausalLM.from_config(text_config("tiny", SPEC["llm"], len(tokenizer)))
        run = settings | {"learning_rate": rate, "steps": steps}
        start = time.perf_counter()
        facts = pretrain_language_model(model, tokenizer, texts, run, work / f"llm-{len(runs)}")
        seconds = time.perf_counter() - start
        model.eval()
        scores = {name: round(answered(model, tokenizer, rows), 1) for name, rows in records.items()}
        priors = {name: round(prior_only_score(name, rows), 1) for name, rows in records.items()}
        runs.append({"corpus": settings["corpus"], "batch_size": settings["batch_size"], "learning_rate": rate,
                     "steps": steps, "tokenizer": learned_from, "seconds": round(seconds), "scores": scores,
                     "prior_only": priors, "last_loss": round(facts["last_loss"], 3)})  # fmt: skip
        print(runs[-1], flush=True)
    result = report.record({"runs": runs})
    for run in runs:
        cells = [f"{run['scores'][name]} ({run['prior_only'][name]})" for name in HELD_OUT]
        sets = ", ".join(sorted(run["corpus"]))
        row = [result["date"], sets, run["batch_size"], run["learning_rate"], run["steps"], run["tokenizer"],
               run["seconds"], *cells]  # fmt: skip
        report.write(result, out, args.doc, "llm_pretraining", row)


if __name__ == "__main__":
    main()
