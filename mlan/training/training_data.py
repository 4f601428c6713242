"""Turning conversations into model inputs: token ids with the image placeholder expanded,
labels that carry loss only on the template's answer spans, and pixel values."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

from mlan.data.conversation import TEMPLATES
from mlan.data.records import read_records
from mlan.data.templates import IMAGE_TOKEN
from mlan.errors import MlanError
from mlan.training.backbone import end_of_turn
from mlan.training.input_ids import llava_input_ids
from mlan.training.processor import image_tokens_per_image

IGNORE_INDEX = -100


def encode(text: str, spans: list[tuple[int, int]], tokenizer, image_tokens: int, max_length: int) -> tuple[list, list]:
    """Token ids as the LLaVA fork makes them (``mlan.training.input_ids``: BOS first, each
    ``<image>`` expanded to ``image_tokens`` copies of the tokenizer's ``<image>`` id) and
    labels: a token carries loss when its characters overlap a loss span (a token of no
    width, as a word-start marker, counts its first character), otherwise IGNORE_INDEX;
    BOS and image tokens never. Both cut to ``max_length`` (``None``: uncut)."""
    if IMAGE_TOKEN in text and spans and text.rindex(IMAGE_TOKEN) > spans[0][0]:
        raise ValueError("an <image> placeholder inside or after an answer is not supported")
    image_token_id = tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
    ids, offsets = llava_input_ids(text, tokenizer, image_token_id, image_tokens, offsets=True)
    labels = [
        token
        if (position or token != tokenizer.bos_token_id)
        and token != image_token_id
        and any(start < span_end and max(end, start + 1) > span_start for span_start, span_end in spans)
        else IGNORE_INDEX
        for position, (token, (start, end)) in enumerate(zip(ids, offsets, strict=True))
    ]
    return ids[:max_length], labels[:max_length]


@dataclass
class CutAnswers:
    """What ``max_length`` did to a dataset's answers (``train_summary.json``)."""

    left_out: list[str]  # ids of instances with every answer token cut: no loss, left out
    shortened: int  # instances that kept some of their answer tokens only

    def summary(self) -> dict:
        return {"instances_left_out_answer_cut": len(self.left_out), "instances_answer_shortened": self.shortened}


class ConversationDataset(torch.utils.data.Dataset):
    """LLaVA-format instances (``train.json``) rendered with one conversation template."""

    def __init__(self, instances: list[dict], processor, image_root: str | Path, template: str, max_length: int):
        self.instances = instances
        self.processor = processor
        self.image_root = Path(image_root)
        self.render = functools.partial(TEMPLATES[template], end_of_turn=end_of_turn(processor.tokenizer))
        self.max_length = max_length
        self.image_tokens = image_tokens_per_image(processor.image_processor.crop_size["height"], processor.patch_size)
        self.image_token_id = processor.tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
        self.has_image = [bool(instance.get("image")) for instance in instances]
        self._lengths: list[int] | None = None

    def leave_out_cut_answers(self) -> CutAnswers:
        """Leave out every instance whose answer tokens ``max_length`` cuts entirely (it would
        train on nothing: a language-only run at max_length 20 "succeeded" with loss 0.0 and the
        pretrained weights); count those it shortens. Nothing left is an error."""
        kept, lengths, left_out, shortened = [], [], [], 0
        for instance in self.instances:
            text, spans = self.render(instance["conversations"])
            ids, labels = encode(text, spans, self.processor.tokenizer, self.image_tokens, None)
            answer = sum(label != IGNORE_INDEX for label in labels)
            kept_answer = sum(label != IGNORE_INDEX for label in labels[: self.max_length])
            if answer and not kept_answer:
                left_out.append(instance["id"])
                continue
            shortened += kept_answer < answer
            kept.append(instance)
            lengths.append(min(len(ids), self.max_length))
        if not kept:
            raise MlanError(
                f"max_length={self.max_length} cuts every answer token of all {len(self.instances)} instances "
                f"(e.g. '{left_out[0]}'): nothing to train on; raise max_length"
            )
        self.instances, self._lengths = kept, lengths
        self.has_image = [bool(instance.get("image")) for instance in kept]
        return CutAnswers(left_out, shortened)

    def __len__(self) -> int:
        return len(self.instances)

    def lengths(self) -> list[int]:
        """Token count of every instance, as ``__getitem__`` makes it (what packing plans with)."""
        if self._lengths is not None:
            return list(self._lengths)
        lengths = []
        for instance in self.instances:
            text, spans = self.render(instance["conversations"])
            lengths.append(len(encode(text, spans, self.processor.tokenizer, self.image_tokens, self.max_length)[0]))
        return lengths

    def __getitem__(self, index: int) -> dict:
        instance = self.instances[index]
        text, spans = self.render(instance["conversations"])
        ids, labels = encode(text, spans, self.processor.tokenizer, self.image_tokens, self.max_length)
        item = {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels)}
        if instance.get("image"):
            if ids.count(self.image_token_id) != self.image_tokens:
                raise MlanError(
                    f"instance '{instance['id']}' is longer than max_length={self.max_length} with its image"
                )
            path = self.image_root / instance["image"]
            try:
                image = Image.open(path).convert("RGB")
            except OSError as error:
                raise MlanError(f"instance '{instance['id']}': cannot read image '{path}': {error}") from error
            item["pixel_values"] = self.processor.image_processor(image, return_tensors="pt")["pixel_values"][0]
        return item


@dataclass
class Collator:
    """Right-pads a batch; pixel values are stacked for the instances that have an image."""

    pad_token_id: int

    def __call__(self, items: list[dict]) -> dict:
        width = max(len(item["input_ids"]) for item in items)
        batch = {
            "input_ids": torch.full((len(items), width), self.pad_token_id, dtype=torch.long),
            "labels": torch.full((len(items), width), IGNORE_INDEX, dtype=torch.long),
            "attention_mask": torch.zeros((len(items), width), dtype=torch.long),
        }
        for row, item in enumerate(items):
            length = len(item["input_ids"])
            batch["input_ids"][row, :length] = item["input_ids"]
            batch["labels"][row, :length] = item["labels"]
            batch["attention_mask"][row, :length] = 1
        images = [item["pixel_values"] for item in items if "pixel_values" in item]
        if images:
            batch["pixel_values"] = torch.stack(images)
        return batch


class Packed(torch.utils.data.Dataset):
    """``dataset`` read with ``(index, row)`` keys, as ``mlan.training.sampler.PackedBatchSampler`` yields them."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int]) -> dict:
        index, row = key
        return {**self.dataset[index], "row": row}


@dataclass
class PackCollator:
    """One rank's share of an optimizer step as rows with no padding: each row concatenates
    instances, positions restart at 0 for each (so RoPE sees every instance as alone) and
    ``cu_seq_lens`` marks where they start, for an attention that keeps them apart
    (``mlan.training.model.use_packed_attention``). Labels are the instances' own: a row's loss is
    the sum of theirs, and the first label of every instance (BOS) is IGNORE_INDEX, so no
    token is trained to predict the next instance."""

    def __call__(self, items: list[dict]) -> dict:
        rows = []
        for number in sorted({item["row"] for item in items}):
            members = [item for item in items if item["row"] == number]
            lengths = [len(item["input_ids"]) for item in members]
            starts = torch.tensor([0, *lengths]).cumsum(0).to(torch.int32)
            labels = torch.cat([item["labels"] for item in members])
            labels[starts[:-1].long()] = IGNORE_INDEX  # as unpacked: position 0 is never a target
            row = {
                "input_ids": torch.cat([item["input_ids"] for item in members])[None],
                "labels": labels[None],
                "position_ids": torch.cat([torch.arange(length) for length in lengths])[None],
                "cu_seq_lens_q": starts,
                "cu_seq_lens_k": starts,
                "max_length_q": max(lengths),
                "max_length_k": max(lengths),
            }
            images = [item["pixel_values"] for item in members if "pixel_values" in item]
            if images:
                row["pixel_values"] = torch.stack(images)
            rows.append(row)
        return {"rows": rows}


def read_mixture(path: str | Path) -> list[dict]:
    """A mixture's ``train.json``: LLaVA-format instances, as finetuning reads them."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_captions(path: str | Path) -> list[dict]:
    """Normalized caption records as one-turn instances, as pretraining reads them."""
    return [
        {
            "id": record.id,
            "image": record.image,
            "conversations": [{"from": "human", "value": record.question}, {"from": "gpt", "value": record.answer}],
        }
        for record in read_records(path)
    ]
