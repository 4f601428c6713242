from mlan.atomic import write_text
from mlan.results.cost import cost_table, efficiency, markdown
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "cost") as log:
    frame, methods = cost_table(
        snakemake.input.models,
        snakemake.params.models,
        snakemake.params.runs,
        snakemake.params.methods,
        snakemake.input.tokens,
    )
    claims = efficiency(frame, methods)
    write_text(snakemake.output.csv, frame.to_csv(index=False, float_format="%.10g"))
    write_text(snakemake.output.claims, claims.to_csv(index=False, float_format="%.4g"))
    write_text(snakemake.output.md, markdown(frame, claims))
    log.info("%d training runs", len(frame))
