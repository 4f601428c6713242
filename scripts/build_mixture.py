from mlan.data.mixture import build_mixture, write_json
from mlan.data.records import read_records
from mlan.data.templates import Formatting, Instructions
from mlan.names import Mix
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "mixture") as log:
    mix = Mix.parse(snakemake.wildcards.mix)
    records = {path.rsplit("/", 1)[-1].removesuffix(".jsonl"): read_records(path) for path in snakemake.input.records}
    mixture = build_mixture(
        records,
        snakemake.params.groups,
        mix.budget,
        mix.percent,
        int(snakemake.wildcards.seed),
        Instructions.load(snakemake.input.instructions),
        Formatting(**snakemake.params.formatting),
    )
    write_json(mixture.instances, snakemake.output.train)
    write_json(mixture.stats, snakemake.output.stats)
    log.info("%s", mixture.stats["totals"])
