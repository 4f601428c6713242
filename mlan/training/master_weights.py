"""bf16 training with fp32 master weights held by the optimizer, without DeepSpeed.

DeepSpeed's bf16 mode (the paper's engine) keeps the model's parameters in bf16 and an fp32
copy of the trainable ones in the optimizer, which steps the copy and writes it back,
rounded, into the model. ``torch.autocast`` over fp32 parameters reaches the same arithmetic
(bf16 matrix products, fp32 master weights and optimizer) but casts every weight to bf16 in
every forward and accumulates bf16 gradients into fp32 ones, which on a GPU costs as much
time as the matrix products of a small model (``docs/benchmarks.md``). This module gives the
plain-PyTorch path DeepSpeed's arrangement:

- ``MasterWeightAdamW`` takes the AdamW the Trainer built over the fp32 model, keeps an fp32
  copy of each trainable parameter (the only full-precision weights there are), then casts
  the model's parameters (frozen ones too; buffers such as RoPE frequencies stay fp32) to
  bf16. Each step takes the bf16 gradients into fp32, clips and steps the masters, and
  copies them back rounded to nearest. Its state dict carries the masters, so a resumed run
  continues from the exact fp32 weights.
- ``full_precision_weights`` puts the fp32 weights back before the final save: the masters
  for trained parameters, the base model's own values for frozen ones.

Gradients of one step's micro-batches or packed rows add up in the bf16 ``.grad``, as under
DeepSpeed ZeRO with bf16 (its default gradient accumulation type is the model's); with
packing a rank's share of a step is one to three rows.
"""

from __future__ import annotations

import inspect

import torch

from mlan.errors import MlanError

WORKING_DTYPE = torch.bfloat16
_ADAMW_OPTIONS = set(inspect.signature(torch.optim.AdamW.__init__).parameters) - {"self", "params"}


class MasterWeightAdamW(torch.optim.AdamW):
    """AdamW stepping fp32 masters of a bf16 model; built from the Trainer's own AdamW."""

    def __init__(self, built: torch.optim.Optimizer, model: torch.nn.Module):
        if type(built) is not torch.optim.AdamW:
            raise MlanError(f"fp32 master weights need torch's AdamW, the Trainer built {type(built).__name__}")
        self.working: list[torch.nn.Parameter] = []
        groups = []
        for group in built.param_groups:
            self.working += group["params"]
            masters = [p.detach().to(torch.float32, copy=True) for p in group["params"]]
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": masters})
        super().__init__(groups, **{k: v for k, v in built.defaults.items() if k in _ADAMW_OPTIONS})
        self.masters = [m for group in self.param_groups for m in group["params"]]
        for parameter in model.parameters():
            parameter.data = parameter.data.to(WORKING_DTYPE)

    @torch.no_grad()
    def _take_gradients(self) -> list[torch.Tensor]:
        for parameter, master in zip(self.working, self.masters, strict=True):
            if parameter.grad is not None:
                master.grad = parameter.grad.to(torch.float32)
                parameter.grad = None
        return [m for m in self.masters if m.grad is not None]

    def clip_grad_norm_(self, max_norm: float) -> torch.Tensor:
        """The gradient norm over the masters (fp32), clipping them to ``max_norm``."""
        return torch.nn.utils.clip_grad_norm_(self._take_gradients(), max_norm)

    @torch.no_grad()
    def step(self, closure=None):
        self._take_gradients()
        loss = super().step(closure)
        for parameter, master in zip(self.working, self.masters, strict=True):
            parameter.copy_(master)
            master.grad = None
        return loss

    def state_dict(self) -> dict:
        return {**super().state_dict(), "master_weights": list(self.masters)}

    @torch.no_grad()
    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        saved = state_dict.pop("master_weights", None)
        if saved is None or len(saved) != len(self.masters):
            raise MlanError("the checkpoint's optimizer state has no fp32 master weights for this model")
        super().load_state_dict(state_dict)
        for parameter, master, value in zip(self.working, self.masters, saved, strict=True):
            master.copy_(value)
            parameter.copy_(master)


@torch.no_grad()
def full_precision_weights(model: torch.nn.Module, optimizer: MasterWeightAdamW, base: torch.nn.Module) -> None:
    """fp32 parameters again: trained ones from the masters, frozen ones from ``base`` (the
    model training started from), so the saved model is what fp32 training would save."""
    masters = {id(p): m for p, m in zip(optimizer.working, optimizer.masters, strict=True)}
    original = dict(base.named_parameters())
    for name, parameter in model.named_parameters():
        source = masters.get(id(parameter))
        if source is None:
            source = original[name]
        parameter.data = source.detach().to(parameter.device, torch.float32, copy=True)
