#!/usr/bin/env bash
# There, on the GPU machine, in one call (about 8 minutes on an H100 or H200):
#   bash benchmarks/device/run.sh
# Installs the carried wheels (.whl/, from fetch_wheels.sh), runs the finetuning benchmark
# (baseline against ours; its row goes into a copy of docs/benchmarks.md under $OUT), then
# the step profile. Afterwards, here: copy $OUT/benchmarks.md over docs/benchmarks.md and
# the JSONs into benchmarks/results/. TINY=1 checks the script on a CPU (figures mean nothing).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/mlan-bench-out}
mkdir -p "$OUT"
if [ "${TINY:-0}" != 1 ] && compgen -G ".whl/*.whl" >/dev/null; then  # TINY: this environment as it is
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
tiny=()
[ "${TINY:-0}" = 1 ] && tiny=(--tiny --steps 4)
name=$(python3 -c 'import torch; print(torch.cuda.get_device_name(0).split()[1].lower() if torch.cuda.is_available() else "cpu")') || exit 1
python3 -c 'import torch, transformers, datasets; print("torch", torch.__version__, "transformers", transformers.__version__, "datasets", datasets.__version__)' || exit 1
cp docs/benchmarks.md "$OUT/benchmarks.md"
python3 -m benchmarks.train_throughput --work /tmp/bench --out "$OUT/train_throughput_$name.json" \
    --doc "$OUT/benchmarks.md" "${tiny[@]}" >"$OUT/train_throughput.log" 2>&1 || { tail -c 6000 "$OUT/train_throughput.log"; exit 1; }
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(json.dumps({k: r[k] for k in ("speedup", "goals")}))
for arm, f in r["arms"].items(): print(arm, {k: f[k] for k in ("real_tokens_per_second", "mfu", "padding_fraction", "peak_memory_gib")})' \
    "$OUT/train_throughput_$name.json"
# what is left of a 10-minute call goes to the profile; stopped short, it leaves its log
timeout $((570 - SECONDS)) python3 -m benchmarks.profile_step --work /tmp/bench --out "$OUT/profile_step_$name.json" \
    --compile "${tiny[@]:0:1}" >"$OUT/profile_step.log" 2>&1 || { echo "profile_step failed or ran out of time:"; tail -c 3000 "$OUT/profile_step.log"; }
