import json
from pathlib import Path

from mlan.atomic import write_text
from mlan.data.mixture import dataset_shares
from mlan.data.records import read_records
from mlan.results.diversity import encoder, pair_similarities, summarize
from mlan.scriptlog import rule_log

MODALITY = {"language": "text", "vision": "vision"}

with rule_log(snakemake.log[0], "diversity") as log:
    questions = {
        side: {Path(path).stem: [record.question for record in read_records(path)] for path in snakemake.input[side]}
        for side in MODALITY
    }
    shares = None
    if snakemake.params.sampling == "mixture":
        shares = {side: dataset_shares(snakemake.params.groups[modality]) for side, modality in MODALITY.items()}
    log.info("sampling %s over %s", snakemake.params.sampling, {s: sorted(q) for s, q in questions.items()})
    model = encoder()
    similarities = pair_similarities(
        questions["language"],
        questions["vision"],
        snakemake.params.pairs,
        snakemake.params.seed,
        lambda texts: model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False),
        shares,
    )
    summary = summarize(similarities) | {"sampling": snakemake.params.sampling}
    write_text(snakemake.output[0], json.dumps(summary))
    log.info("%s %s", summary["settings"], summary["z_tests"])
