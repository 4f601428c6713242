"""A config-built LLM's own pretraining, the miniature of what Llama 2 brings to LLaVA: a
language model that already reads a passage and answers a question about it. The paper's
recipes start from a pretrained LLM; a random one must learn language inside each
finetuning, and the tiny default's then never learns a yes/no or an option letter
(docs/benchmarks.md). Once per model, before LLaVA's stages, the LLM is trained as a causal
LM on the toy world's text: the language training sets' passages with their questions and
answers in a plain layout (not the instruction templates), and captions, all drawn from
another seed than the training and evaluation rows."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from mlan.data.records import LETTERS, Record, read_records
from mlan.errors import MlanError


def plain_text(record: Record) -> str:
    """A record as running text: a caption as itself; a question after its passage, its
    options as "(A) ..." lines, then "A: <answer>"."""
    if record.task == "caption":
        return record.answer
    lines = [record.context] if record.context else []
    lines.append(f"Q: {record.question}")
    lines.extend(f"({LETTERS[index]}) {choice}" for index, choice in enumerate(record.choices or []))
    lines.append(f"A: {record.answer}")
    return "\n".join(lines)


def build_corpus(corpus: dict[str, int], seed: int, output: str | Path) -> int:
    """Generate each toy set of ``corpus`` (its rows) at ``seed`` through its adapter and
    write the texts, shuffled by ``seed``, as JSON lines ``{"text": ...}``; returns their
    number. Byte-identical for the same arguments."""
    import random

    from mlan.data.normalize import normalize_dataset
    from mlan.data.sources import toy_generator

    if not corpus:
        raise MlanError("llm_pretraining.corpus: no toy set to pretrain the LLM on")
    texts = []
    with tempfile.TemporaryDirectory(prefix="llm-corpus-") as scratch:
        for name, rows in sorted(corpus.items()):
            toy_generator(name).generate(Path(scratch) / "sources" / name, rows, seed)
            records = Path(scratch) / f"{name}.jsonl"
            normalize_dataset(name, Path(scratch) / "sources" / name, records, Path(scratch) / "images")
            texts.extend(plain_text(record) for record in read_records(records))
    random.Random(seed).shuffle(texts)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("".join(json.dumps({"text": text}) + "\n" for text in texts))
    return len(texts)


def read_corpus(path: str | Path) -> list[str]:
    texts = [json.loads(line)["text"] for line in Path(path).read_text().splitlines() if line.strip()]
    if not texts:
        raise MlanError(f"{path}: the LLM's pretraining corpus is empty")
    return texts


ANSWER_MARK = "\nA:"


def encode(text: str, tokenizer, loss: str, max_length: int) -> dict:
    """A text and its EOS as token ids, with labels on every token (``loss: all``) or, for a
    question, on its answer only (``loss: answers``: after the last "A:"; a caption keeps
    every token)."""
    if loss not in ("answers", "all"):
        raise MlanError(f"llm_pretraining.loss: '{loss}' is neither 'answers' nor 'all'")
    ids = tokenizer(text + tokenizer.eos_token, truncation=True, max_length=max_length)["input_ids"]
    labels = list(ids)
    if loss == "answers" and ANSWER_MARK in text:
        prompt = len(tokenizer(text[: text.rindex(ANSWER_MARK) + len(ANSWER_MARK)])["input_ids"])
        labels[:prompt] = [-100] * min(prompt, len(labels))
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels}


def pretrain_language_model(language_model, tokenizer, texts: list[str], settings: dict, output: str | Path) -> dict:
    """Train ``language_model`` (a causal LM) on ``texts`` (``encode``) with transformers'
    Trainer: AdamW, cosine schedule after a linear warmup, gradient norm clipped at 1; saves
    it to ``output`` and returns the first and last logged losses."""
    import datasets
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

    loss, max_length = settings.get("loss", "answers"), settings.get("max_length", 512)
    encoded = datasets.Dataset.from_list([encode(text, tokenizer, loss, max_length) for text in texts])
    with tempfile.TemporaryDirectory(prefix="llm-pretraining-") as scratch:
        arguments = TrainingArguments(
            output_dir=scratch,
            max_steps=settings["steps"],
            per_device_train_batch_size=settings["batch_size"],
            learning_rate=settings["learning_rate"],
            lr_scheduler_type="cosine",
            warmup_steps=settings.get("warmup_steps", 100),
            weight_decay=0.0,
            max_grad_norm=1.0,
            seed=settings["seed"],
            data_seed=settings["seed"],
            logging_steps=max(1, settings["steps"] // 20),
            save_strategy="no",
            report_to=[],
            disable_tqdm=True,
            dataloader_pin_memory=False,
        )
        collator = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100)
        trainer = Trainer(model=language_model, args=arguments, train_dataset=encoded, data_collator=collator)
        trainer.train()
        losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    language_model.save_pretrained(output)
    facts = {"steps": settings["steps"], "texts": len(texts), "loss": loss}
    return facts | {"first_loss": losses[0], "last_loss": losses[-1]}
