import json
import os

os.environ["RAYON_NUM_THREADS"] = str(snakemake.threads)  # the tokenizer's thread pool: the job's cores only
from transformers import AutoTokenizer  # noqa: E402

from mlan.data.mixture import write_json
from mlan.names import Mix
from mlan.scriptlog import rule_log
from mlan.training.tokens import count_tokens

with rule_log(snakemake.log[0], "count_tokens") as log:
    folder = snakemake.input.processor
    tokenizer = AutoTokenizer.from_pretrained(folder)
    with open(f"{folder}/mlan_model_facts.json") as handle:
        facts = json.load(handle)
    with open(snakemake.input.train) as handle:
        instances = json.load(handle)
    counts = count_tokens(instances, tokenizer, facts["tokens_per_image"], snakemake.params.token_count)
    mix = Mix.parse(snakemake.wildcards.mix)
    counts.update(
        model=snakemake.wildcards.model,
        mix=str(mix),
        percent=float(mix.percent),
        budget=mix.budget,
        seed=int(snakemake.wildcards.seed),
    )
    write_json(counts, snakemake.output[0])
    log.info("%s", counts)
