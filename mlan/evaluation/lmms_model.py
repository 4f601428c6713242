"""An lmms-eval model over an already-loaded LLaVA: prompts arrive fully rendered (the
Vicuna-v1 frame and the answer prefix, ``<image>`` in place), so nothing re-templates
them; their token ids are made as the LLaVA fork makes them (``mlan.training.input_ids``,
the same as training), and generation is batched (lmms-eval's own ``llava_hf`` allows
batch size 1 only)."""

from __future__ import annotations

import torch
from lmms_eval.api.model import lmms
from tqdm import tqdm

from mlan.training.input_ids import llava_input_ids


def stop_at(text: str, until: list[str]) -> str:
    for marker in until:
        if marker and marker in text:
            text = text[: text.index(marker)]
    return text


class PreparedLlava(lmms):
    def __init__(self, model, processor, batch_size: int = 1, device: str = "cpu"):
        super().__init__()
        self.model, self.processor, self.batch_size, self.device = model.eval(), processor, batch_size, device

    def generate_until(self, requests) -> list[str]:
        answers: list[str | None] = [None] * len(requests)
        # one task per batch (its generation settings: budgets differ by benchmark), similar
        # lengths together
        order = sorted(range(len(requests)), key=lambda i: (requests[i].args[4], -len(requests[i].args[0])))
        batches = [
            [index for index in order if requests[index].args[4] == task][start : start + self.batch_size]
            for task in dict.fromkeys(requests[index].args[4] for index in order)
            for start in range(0, sum(requests[i].args[4] == task for i in order), self.batch_size)
        ]
        tokenizer = self.processor.tokenizer
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        image_token, image_tokens = self.model.config.image_token_id, self.model.config.image_seq_length
        progress = tqdm(total=len(requests), desc="lmms_eval generate_until requests")
        for chunk in batches:
            sequences, images, settings = [], [], None
            for index in chunk:
                context, gen_kwargs, doc_to_visual, doc_id, task, split = requests[index].args
                sequences.append(llava_input_ids(context, tokenizer, image_token, image_tokens))
                images += doc_to_visual(self.task_dict[task][split][doc_id])
                settings = gen_kwargs
            width = max(len(ids) for ids in sequences)
            input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in sequences])
            mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in sequences])
            inputs = {"input_ids": input_ids.to(self.device), "attention_mask": mask.to(self.device)}
            if images:
                pixels = self.processor.image_processor(images, return_tensors="pt")["pixel_values"]
                inputs["pixel_values"] = pixels.to(self.device, self.model.dtype)
            with torch.no_grad():
                output = self.model.generate(
                    **inputs,
                    max_new_tokens=settings.get("max_new_tokens", 20),
                    do_sample=False,
                    pad_token_id=pad,
                )
            new_tokens = output[:, width:]
            for index, text in zip(chunk, tokenizer.batch_decode(new_tokens, skip_special_tokens=True), strict=True):
                answers[index] = stop_at(text, settings.get("until", []))
            progress.update(len(chunk))
        progress.close()
        return answers

    def loglikelihood(self, requests):
        raise NotImplementedError("image tasks are scored by generation, as in the paper")

    def generate_until_multi_round(self, requests):
        raise NotImplementedError
