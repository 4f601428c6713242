# Two entry points for a fresh machine: `make run` and `make test` (see README).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Nothing in the embedded default or the tests reaches a model or dataset hub.
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

.PHONY: install run test lint clean standin

install: $(STAMP)

$(STAMP): constraints.txt pyproject.toml
	python3 -m venv $(VENV)
	# torch first and pinned: later packages then cannot pull another (CUDA) build.
	$(PY) -m pip install --quiet -c constraints.txt torch
	# lmms-eval's declared dependencies pull torchvision and timm, which break CPU torch:
	# install it alone; what it needs here (loguru, decord) is in pyproject.toml.
	$(PY) -m pip install --quiet --no-deps -c constraints.txt lmms_eval
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# The rules run the Python that runs Snakemake: the venv needs no activation.
run: install
	$(OFFLINE) $(VENV)/bin/snakemake --cores 2

# The paper's path before GPU hours (README): config/paper.yaml with stand-in weights and data
# (mlan/standin), run in a copy of the workflow under $(STANDIN) so results/ stays untouched.
STANDIN ?= standin
WORKFLOW := Snakefile rules scripts config envs mlan report profiles
standin: install
	rm -rf $(STANDIN) && mkdir -p $(STANDIN)/workflow
	cp -r $(WORKFLOW) $(STANDIN)/workflow/
	$(OFFLINE) $(PY) -m mlan.standin --out $(STANDIN)/inputs
	cd $(STANDIN)/workflow && $(OFFLINE) \
		$(CURDIR)/$(VENV)/bin/snakemake --cores 2 --configfile=../inputs/config.yaml $(SNAKEMAKE_ARGS)

# Two workers (pytest-xdist): the finished default run's tests on one, the real Slurm's on
# another (the xdist_group marks of the test files), the rest wherever there is room.
TEST_WORKERS ?= 2
test: install
	$(OFFLINE) $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/snakefmt --check Snakefile rules
	$(OFFLINE) $(VENV)/bin/snakemake --lint

clean:
	rm -rf results/sources results/data results/mixtures results/tokens results/models results/logs .snakemake
