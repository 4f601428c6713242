# MLAN reproduction pipeline. With no arguments it runs the embedded default
# (config/config.yaml); the paper's grid is `--configfile config/paper.yaml`.


report: "report/workflow.rst"


from mlan.config import is_whole_config, load_config_file

# `--config key=value` and a partial `--configfile` are merged over the embedded default; a
# configfile that is a whole grid (every required key, like config/paper.yaml) replaces it
# (merged, the default's toy datasets and tiny model would join the paper's).
if not is_whole_config(config, workflow.source_path("config/schema.yaml")):
    load_config_file("config/config.yaml")  # a YAML error named with its line

    configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/mixtures.smk"
include: "rules/tokens.smk"
include: "rules/models.smk"
include: "rules/evaluation.smk"
include: "rules/analysis.smk"
include: "rules/released.smk"


rule all:
    default_target: True
    input:
        all_targets(),
