import json

from mlan.atomic import write_text
from mlan.data.records import read_records
from mlan.results.diversity import encoder, pair_similarities, summarize
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "diversity") as log:
    questions = {
        side: [record.question for path in getattr(snakemake.input, side) for record in read_records(path)]
        for side in ("language", "vision")
    }
    model = encoder()
    similarities = pair_similarities(
        questions["language"],
        questions["vision"],
        snakemake.params.pairs,
        snakemake.params.seed,
        lambda texts: model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False),
    )
    summary = summarize(similarities)
    write_text(snakemake.output[0], json.dumps(summary))
    log.info("%s %s", summary["settings"], summary["z_tests"])
