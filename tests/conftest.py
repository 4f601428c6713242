import json
import os
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the benchmarks' shared builders (benchmarks/toy_learning.py)
    sys.path.insert(0, str(ROOT))

# Nothing under test may reach a hub.
for variable in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[variable] = "1"

# Two pytest workers on 2 cores run torch (in process, in Snakemake's jobs, in Slurm's) with
# up to 2 OpenMP threads each: threads spinning while they wait for a core made two such
# processes 2.9 times slower each (benchmarks/shared_cores.py, docs/benchmarks.md). Waiting
# threads sleep instead; set before anything loads torch's OpenMP, inherited by every child.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


TRANSFORMERS_4 = "transformers==4.57.6"
TRANSFORMERS_4_LOAD = (
    "import sys, torch, transformers\n"
    "from transformers import AutoTokenizer, LlavaForConditionalGeneration\n"
    "assert transformers.__version__.startswith('4.'), transformers.__version__\n"
    "m, info = LlavaForConditionalGeneration.from_pretrained(\n"
    "    sys.argv[1], torch_dtype=torch.float32, output_loading_info=True)\n"
    "assert not any(info.values()), info\n"
    "t = AutoTokenizer.from_pretrained(sys.argv[1])\n"
    "assert t.pad_token == sys.argv[4] and t.convert_tokens_to_ids('<image>') == m.config.image_token_index\n"
    "x = torch.load(sys.argv[2])\n"
    "with torch.no_grad(): torch.save(m(input_ids=x['ids'], pixel_values=x['pixels']).logits, sys.argv[3])\n"
)  # fmt: skip
needs_transformers_4 = pytest.mark.skipif(
    os.environ.get("MLAN_TEST_TRANSFORMERS4") != "1", reason="installs transformers 4.x in a side venv (~1 min)"
)


@pytest.fixture(scope="session")
def transformers_4(tmp_path_factory):
    """A venv with transformers 4.57 (and the tokenizers and huggingface_hub it needs) that
    borrows torch from this one: ``MLAN_TEST_TRANSFORMERS4=1`` runs the tests using it."""
    import subprocess

    venv = tmp_path_factory.mktemp("tf4") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    packages = [TRANSFORMERS_4, "tokenizers<0.23", "huggingface_hub<1.0"]
    subprocess.run([python, "-m", "pip", "install", "-q", *packages], check=True)
    ours = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    theirs = next((venv / "lib").glob("python3*/site-packages"))
    (theirs / "zz_borrow.pth").write_text(str(ours) + "\n")  # after their own packages
    return python


def transformers_4_logits(python: Path, folder: Path, ids, pixels, pad_token: str, scratch: Path):
    """The logits transformers 4.x computes with the LLaVA saved in ``folder`` (its load must
    report nothing missing, unexpected or mismatched)."""
    import subprocess

    import torch

    torch.save({"ids": ids, "pixels": pixels}, scratch / "inputs.pt")
    arguments = [folder, scratch / "inputs.pt", scratch / "out.pt", pad_token]
    subprocess.run([python, "-c", TRANSFORMERS_4_LOAD, *arguments], check=True, cwd=ROOT)
    return torch.load(scratch / "out.pt")


@pytest.fixture(scope="session")
def instructions():
    from mlan.data.templates import Instructions

    return Instructions.load(ROOT / "config" / "instructions.yaml")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Under ``--dist loadgroup`` a test's ``xdist_group`` must end its node id (that is how
    the scheduler keeps a group on one worker). pytest-xdist 3.8 appends it to ``_nodeid``,
    which pytest 9.2 no longer reads (the id lives in ``_id``): without this each test of the
    default run's group went to either worker, and both built the default run."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = {
            str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")
        }
        suffix = f"@{'_'.join(sorted(names))}"
        if names and not item.nodeid.endswith(suffix):
            item._id = coerce_node_id(item.nodeid + suffix)  # pytest 9.2 keeps the id here


@pytest.fixture(autouse=True)
def working_directory_is_kept():
    """A test that changes the working directory breaks every later test reading relative
    paths (config/deepspeed/...): restore it, and fail the test that moved it."""
    before = os.getcwd()
    yield
    after = os.getcwd()
    if after != before:
        os.chdir(before)
        pytest.fail(f"the test left the working directory at {after} (use monkeypatch.chdir)")


@pytest.fixture
def rng():
    return random.Random(0)


WORKFLOW_FILES = ("Snakefile", "rules", "scripts", "config", "envs", "mlan", "report", "profiles")


def copy_workflow(target: Path) -> Path:
    """A clean copy of the workflow (no results), as a fresh clone would have it."""
    import shutil

    target.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def snakemake(workdir: Path, *args: str, check: bool = True):
    import subprocess
    import sys

    command = [str(Path(sys.executable).with_name("snakemake")), "--cores", "2", *args]
    # the venv's snakemake, not activated (its bin/ off PATH): the rules must find its Python
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)
    env = {**os.environ, "PATH": path}
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """The whole embedded default, run locally once per session (tests restore what they edit)."""
    workdir = copy_workflow(tmp_path_factory.mktemp("default") / "workflow")
    snakemake(workdir)
    return workdir


# Outputs that legitimately differ between two runs of the same workflow: logs, measured
# times and memory (measured twice, equal on everything else, figures included), and the
# harnesses' own results files (their start dates and durations).
VOLATILE = (
    "results/logs/", "train_summary.json", "train_log.jsonl", "lm_eval.results.json", "lmms_eval.results.json",
    "results/tables/cost",
)  # fmt: skip
# the comparison's last section is the measured training time (device-hours)
MEASURED = {"results/comparison.md": "## Efficiency in measured device-hours"}


def _stable_bytes(relative: str, data: bytes) -> bytes:
    marker = MEASURED.get(relative)
    return data.split(marker.encode())[0] if marker else data


def result_digests(workdir: Path) -> dict[str, str]:
    """SHA-256 of every file under results/ except the volatile ones, by relative path."""
    import hashlib

    return {
        str(path.relative_to(workdir)): hashlib.sha256(
            _stable_bytes(str(path.relative_to(workdir)), path.read_bytes())
        ).hexdigest()
        for path in sorted((workdir / "results").rglob("*"))
        if path.is_file() and not any(part in str(path.relative_to(workdir)) for part in VOLATILE)
    }


@pytest.fixture
def workflow(tmp_path):
    return copy_workflow(tmp_path / "workflow")


# A tiny LLaVA and toy data, shared by the training and evaluation tests.
TINY = {
    "llm": {
        "config": {
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "max_position_embeddings": 512,
        },
        "tokenizer_vocab_size": 400,
    },
    "vision": {
        "config": {
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 16,
            "patch_size": 8,
        }
    },
}
FAST = {
    "learning_rate": 1e-3,
    "global_batch_size": 4,
    "max_per_device_batch_size": 2,
    "max_length": 256,
    "save_steps": 1000,
    "warmup_ratio": 0.0,
}


def step_log(folder: Path) -> list[dict]:
    """A training run's ``train_log.jsonl``, one dict per optimizer step."""
    return [json.loads(line) for line in (folder / "train_log.jsonl").read_text().splitlines()]


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    """Toy data, two mixtures (mixed and language-only), a processor and a base model."""
    import yaml

    from mlan.catalog import PRETRAIN_DATASETS, TRAIN_DATASETS
    from mlan.data.mixture import build_mixture, write_json
    from mlan.data.normalize import normalize_dataset
    from mlan.data.sources import toy_generator
    from mlan.grid import Grid
    from mlan.training.model import build_base_model
    from mlan.training.portable import make_portable
    from mlan.training.processor import build_processor

    root = tmp_path_factory.mktemp("world")
    images = root / "images"
    for name in TRAIN_DATASETS + PRETRAIN_DATASETS + ("boolq", "race", "pope", "ai2d", "scienceqa"):
        toy_generator(name).generate(root / "sources" / name, 24, 0)
        normalize_dataset(name, root / "sources" / name, root / "data" / f"{name}.jsonl", images)
    from mlan.data.records import read_records
    from mlan.data.templates import Instructions

    records = {name: read_records(root / "data" / f"{name}.jsonl") for name in TRAIN_DATASETS}
    groups = Grid(yaml.safe_load((ROOT / "config" / "config.yaml").read_text())).groups()
    instructions = Instructions.load(ROOT / "config" / "instructions.yaml")
    for percent in (50, 100):
        mixture = build_mixture(records, groups, 40, percent, 7, instructions)
        write_json(mixture.instances, root / f"mix{percent}.json")
    processor, _ = build_processor("tiny", TINY, [root / "data" / f"{n}.jsonl" for n in TRAIN_DATASETS])
    model = build_base_model("tiny", TINY, processor.tokenizer, seed=0)
    model.save_pretrained(root / "base")
    processor.save_pretrained(root / "base")
    make_portable(root / "base")  # as assemble_model saves it
    return root
