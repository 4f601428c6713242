from mlan.atomic import write_text
from mlan.results.comparison import compare, markdown
from mlan.results.scores import read_scores
from mlan.scriptlog import rule_log

with rule_log(snakemake.log[0], "comparison") as log:
    aliases = snakemake.params.compare_as
    published = read_scores([snakemake.input.paper])
    table = compare(read_scores(snakemake.input.scores), published, aliases)
    write_text(snakemake.output[0], markdown(table, aliases, sorted(set(published["model"]))))
    log.info("%d published cells, %d reproduced", len(table), table["reproduced"].notna().sum())
