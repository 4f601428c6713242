"""Trainer callbacks: token counting, the per-step log, checkpoint-then-stop on SIGTERM and
each checkpoint's fingerprint."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from transformers import TrainerCallback
from transformers.trainer_callback import ExportableState

from mlan.atomic import write_text
from mlan.training.checkpoints import FINGERPRINT
from mlan.training.processes import is_main_process, summed_over_processes


class TokenCounter(TrainerCallback, ExportableState):
    """Tokens the LLM processed (image tokens included), padding, samples and wall time,
    of all processes together (each step's counts are summed over ranks at its end); part
    of every checkpoint, so a resumed run reports the whole run."""

    @classmethod
    def resumed(cls, checkpoint: str | None) -> TokenCounter:
        """A counter holding what a checkpoint's run had counted (a fresh one without).

        transformers restores callback states only with ``restore_callback_states_from_checkpoint``
        and then swaps in new callback objects, which the Trainer and the step log would not
        see; reading the saved state into the counter they share keeps one object."""
        if checkpoint is None:
            return cls()
        saved = json.loads((Path(checkpoint) / "trainer_state.json").read_text()).get("stateful_callbacks", {})
        state = saved.get(cls.__name__)
        state = state[0] if isinstance(state, list) else state
        return cls(**state["args"]) if state else cls()

    def __init__(self, tokens=0, padding=0, samples=0, seconds=0.0):
        self.tokens, self.padding, self.samples, self.seconds = tokens, padding, samples, seconds
        self.segment_start = time.monotonic()
        self.pending = [0, 0, 0]  # this process's tokens, padding, samples of the current step

    def add(self, inputs):
        if "cu_seq_lens_q" in inputs:  # a packed row: no padding
            self.pending[0] += int(inputs["input_ids"].numel())
            self.pending[2] += len(inputs["cu_seq_lens_q"]) - 1
            return
        mask = inputs["attention_mask"]
        self.pending[0] += int(mask.sum())
        self.pending[1] += int(mask.numel() - mask.sum())
        self.pending[2] += int(mask.shape[0])

    def on_step_end(self, args, state, control, **kwargs):
        tokens, padding, samples = summed_over_processes(self.pending)
        self.tokens, self.padding, self.samples = (
            self.tokens + tokens,
            self.padding + padding,
            self.samples + samples,
        )
        self.pending = [0, 0, 0]

    def elapsed(self) -> float:
        return self.seconds + time.monotonic() - self.segment_start

    def state(self) -> dict:
        return {
            "args": {
                "tokens": self.tokens,
                "padding": self.padding,
                "samples": self.samples,
                "seconds": self.elapsed(),
            },
            "attributes": {},
        }


class StepLog(TrainerCallback):
    """Appends one JSON line per logged step to ``log_path``: loss, lr, grad norm, throughput."""

    def __init__(self, counter: TokenCounter, log_path: Path):
        self.counter = counter
        self.log_path = log_path
        self.last = (time.monotonic(), 0)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not is_main_process() or not logs or "loss" not in logs:
            return
        now, tokens = time.monotonic(), self.counter.tokens
        seconds = max(now - self.last[0], 1e-9)
        entry = {
            "step": state.global_step,
            "epoch": round(state.epoch or 0, 4),
            "loss": logs.get("loss"),
            "learning_rate": logs.get("learning_rate"),
            "grad_norm": logs.get("grad_norm"),
            "tokens_per_second": round((tokens - self.last[1]) / seconds, 1),
            "elapsed_seconds": round(self.counter.elapsed(), 3),
            "tokens_seen": tokens,
            "samples_seen": self.counter.samples,
        }
        self.last = (now, tokens)
        with open(self.log_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


class StopOnSigterm(TrainerCallback):
    """Slurm sends SIGTERM before a time limit or preemption: save at the end of the
    current step and stop; the caller then exits non-zero so the job is retried."""

    def __init__(self):
        self.requested = False

    def on_train_begin(self, args, state, control, **kwargs):
        signal.signal(signal.SIGTERM, self._request)

    def _request(self, signum, frame):
        self.requested = True

    def on_step_end(self, args, state, control, **kwargs):
        if self.requested:
            control.should_save = True
            control.should_training_stop = True


class StampCheckpoints(TrainerCallback):
    """Writes the run's fingerprint into every checkpoint it saves (last, so a checkpoint
    without one is incomplete or another run's and is never resumed)."""

    def __init__(self, fingerprint: str):
        self.fingerprint = fingerprint

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            write_text(Path(args.output_dir) / f"checkpoint-{state.global_step}" / FINGERPRINT, self.fingerprint)
