"""Global-batch arithmetic and the single-modality property of every optimizer step."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlan.errors import ConfigError
from mlan.training.sampler import ModalityGroupedSampler, batch_layout


@pytest.mark.parametrize(
    "global_batch,world,limit,expected",
    [
        (64, 8, 8, (8, 1)),  # the paper's finetune on one 8-GPU node
        (64, 8, 4, (4, 2)),
        (64, 1, 16, (16, 4)),
        (64, 16, 8, (4, 1)),  # two nodes
        (256, 8, 32, (32, 1)),  # pretrain
        (256, 4, 24, (16, 4)),  # largest divisor under the limit
        (8, 1, 3, (2, 4)),
    ],
)
def test_batch_layout(global_batch, world, limit, expected):
    per_device, accumulation = batch_layout(global_batch, world, limit)
    assert (per_device, accumulation) == expected
    assert per_device * accumulation * world == global_batch


def test_global_batch_that_cannot_be_split_is_an_error():
    with pytest.raises(ConfigError, match="global batch 64 cannot be split over 3 processes"):
        batch_layout(64, 3, 8)


@given(global_batch=st.integers(1, 512), world=st.integers(1, 16), limit=st.integers(1, 64))
def test_batch_layout_keeps_the_global_batch(global_batch, world, limit):
    if global_batch % world:
        return
    per_device, accumulation = batch_layout(global_batch, world, limit)
    assert per_device * accumulation * world == global_batch and 1 <= per_device <= limit


def steps_as_accelerate_shards_them(indices, per_device, world, accumulation):
    """accelerate deals per-device batches round-robin to ranks; a step is world x accumulation of them."""
    batches = [indices[i : i + per_device] for i in range(0, len(indices), per_device)]
    per_step = world * accumulation
    return [sum(batches[i : i + per_step], []) for i in range(0, len(batches), per_step)]


@settings(max_examples=200)
@given(
    has_image=st.lists(st.booleans(), min_size=1, max_size=300),
    layout=st.sampled_from([(1, 1, 1), (2, 2, 2), (4, 2, 1), (8, 1, 1), (2, 1, 4), (3, 2, 2)]),
    seed=st.integers(0, 1000),
)
def test_every_step_is_single_modality_on_every_rank(has_image, layout, seed):
    per_device, world, accumulation = layout
    global_batch = per_device * world * accumulation
    sampler = ModalityGroupedSampler(has_image, global_batch, seed)
    indices = list(sampler)
    assert len(indices) == len(sampler) == len(has_image) + sampler.padded
    assert len(indices) % global_batch == 0
    assert set(indices) == set(range(len(has_image)))  # nothing left out
    for step in steps_as_accelerate_shards_them(indices, per_device, world, accumulation):
        assert len({has_image[i] for i in step}) == 1


def test_order_is_seeded_and_changes_per_epoch():
    flags = [i % 3 == 0 for i in range(60)]
    first, again = ModalityGroupedSampler(flags, 4, 1), ModalityGroupedSampler(flags, 4, 1)
    assert list(first) == list(again)
    first.set_epoch(1)
    assert list(first) != list(again)
    assert list(ModalityGroupedSampler(flags, 4, 2)) != list(again)


def test_launch_uses_every_visible_gpu_or_one_process():
    from mlan.training.launch import TORCHRUN, command

    assert command(["--stage", "finetune"], 0, env={}) is None
    assert command(["--stage", "finetune"], 8, env={"SLURM_PROCID": "0", "SLURM_NTASKS": "1"}) == [
        *TORCHRUN,
        "--standalone",
        "--nproc_per_node=8",
        "-m",
        "mlan.training.train",
        "--stage",
        "finetune",
    ]


def test_launch_on_two_nodes_meets_at_the_first_host():
    from mlan.training.launch import TORCHRUN, command, first_host

    env = {"SLURM_PROCID": "1", "SLURM_NTASKS": "2", "SLURM_JOB_ID": "4321"}
    assert command(["--stage", "pretrain"], 8, env=env, head="gpu03") == [
        *TORCHRUN,
        "--nnodes=2",
        "--node_rank=1",
        "--nproc_per_node=8",
        "--master_addr=gpu03",
        "--master_port=29821",
        "-m",
        "mlan.training.train",
        "--stage",
        "pretrain",
    ]
    assert first_host("gpu03") == "gpu03"
