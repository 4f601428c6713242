"""Print every job of a workflow's DAG with a digest of its params, as Snakemake's rerun
trigger compares them (the sorted ``repr`` of each param value): ``python planned_params.py
[--configfile FILE]`` in a workflow folder prints ``{"rule output...": digest}`` as JSON.
Snakemake's dry run prints no params; this builds the same DAG through its API."""

import hashlib
import json
import sys
from pathlib import Path

from snakemake.api import SnakemakeApi
from snakemake.settings.enums import Quietness
from snakemake.settings.types import ConfigSettings, DAGSettings, OutputSettings, ResourceSettings


def digests(configfiles: list[Path]) -> dict[str, str]:
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        workflow_api = api.workflow(
            resource_settings=ResourceSettings(cores=1),
            config_settings=ConfigSettings(configfiles=configfiles),
            snakefile=Path("Snakefile"),
            workdir=Path.cwd(),
        )
        workflow_api.dag(dag_settings=DAGSettings())
        workflow = workflow_api._workflow
        workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True, nolock=True)
        workflow._build_dag()
        serialize = workflow.persistence._serialize_param
        found = {}
        for job in workflow.dag.jobs:
            params = sorted(p for p in map(serialize, job.non_derived_params) if isinstance(p, str))
            key = f"{job.rule.name} {' '.join(sorted(map(str, job.output)))}"
            found[key] = hashlib.sha256("\n".join(params).encode()).hexdigest()
        return found


if __name__ == "__main__":
    files = [Path(arg.split("=", 1)[1]) for arg in sys.argv[1:] if arg.startswith("--configfile=")]
    print(json.dumps(digests(files), sort_keys=True))
