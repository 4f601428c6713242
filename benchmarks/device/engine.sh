#!/usr/bin/env bash
# There, on the GPU machine, in one call (within 9 minutes on an H100 or H200):
#   bash benchmarks/device/engine.sh
# Installs the carried wheels (.whl/, from fetch_wheels.sh: deepspeed, lm_eval and lmms_eval
# are not on the image), then runs benchmarks/engine.py: ZeRO-3 finetuning and ZeRO-2
# pretraining through `python -m mlan.training.launch` as the rules run it, a SIGTERM and the
# resume against the uninterrupted run, and evaluation at batch 1 against the configured batch.
# Afterwards, here: copy $OUT/engine_*.json into benchmarks/results/ and $OUT/benchmarks.md
# over docs/benchmarks.md. TINY=1 checks the script on a CPU (figures mean nothing).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/mlan-engine-out}
mkdir -p "$OUT"
if [ "${TINY:-0}" != 1 ]; then  # TINY: this environment as it is
    compgen -G ".whl/*.whl" >/dev/null || { echo "no .whl/: run benchmarks/device/fetch_wheels.sh here first"; exit 1; }
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
PY=${PYTHON:-python3}
tiny=()
[ "${TINY:-0}" = 1 ] && tiny=(--tiny --no-compile --steps 4 --pretrain-steps 2 --items 16)
name=$($PY -c 'import torch; print(torch.cuda.get_device_name(0).split()[1].lower() if torch.cuda.is_available() else "cpu")') || exit 1
$PY -c 'import torch, transformers, deepspeed, lm_eval, lmms_eval; print("torch", torch.__version__, "transformers", transformers.__version__, "deepspeed", deepspeed.__version__)' || exit 1
cp docs/benchmarks.md "$OUT/benchmarks.md"
timeout $((540 - SECONDS)) $PY -m benchmarks.engine --work /tmp/engine --out "$OUT/engine_$name.json" --doc "$OUT/benchmarks.md" \
    "${tiny[@]}" >"$OUT/engine.log" 2>&1 || { echo "engine failed or ran out of time:"; tail -c 8000 "$OUT/engine.log"; exit 1; }
$PY -c 'import json, sys; r = json.load(open(sys.argv[1]))
for arm, f in r["arms"].items(): print(arm, {k: f.get(k) for k in ("deepspeed", "real_tokens_per_second", "mfu", "peak_memory_gib", "final_loss")})
print("resume", r["resume"]); print("evaluation", r["evaluation"])' "$OUT/engine_$name.json"
