import json
import os

os.environ["RAYON_NUM_THREADS"] = str(snakemake.threads)  # the tokenizer's thread pool: the job's cores only
from transformers import AutoProcessor  # noqa: E402

from mlan.data.mixture import write_json
from mlan.names import Mix
from mlan.scriptlog import rule_log
from mlan.training.lengths import length_report
from mlan.training.tokens import count_tokens

with rule_log(snakemake.log[0], "count_tokens") as log:
    folder = snakemake.input.processor
    processor = AutoProcessor.from_pretrained(folder)
    with open(f"{folder}/mlan_model_facts.json") as handle:
        facts = json.load(handle)
    with open(snakemake.input.train) as handle:
        instances = json.load(handle)
    counts = count_tokens(instances, processor.tokenizer, facts["tokens_per_image"], snakemake.params.token_count)
    mix = Mix.parse(snakemake.wildcards.mix)
    counts.update(
        model=snakemake.wildcards.model,
        mix=str(mix),
        percent=float(mix.percent),
        budget=mix.budget,
        seed=int(snakemake.wildcards.seed),
    )
    # the training jobs wait for this check (none left: an error here, before any of them)
    lengths = length_report("finetune", snakemake.input.train, processor, snakemake.params.max_length)
    if lengths["instances_left_out_answer_cut"]:
        log.warning(
            "%d of %d instances will be left out: max_length=%d cuts all their answer tokens (first: %s)",
            lengths["instances_left_out_answer_cut"],
            lengths["instances"],
            lengths["max_length"],
            ", ".join(lengths["left_out_first"][:3]),
        )
    write_json(lengths, snakemake.output.lengths)
    write_json(counts, snakemake.output.tokens)
    log.info("%s; %s", counts, lengths)
