"""Peak memory and time of counting a mixture's training tokens (Tables 2 and 6) at the
paper's budget, whole against in chunks (``mlan.training.tokens.CHUNK``), each in a fresh
process; the counts must agree.

    python -m benchmarks.count_tokens_memory --processor results/models/tiny/processor \
        --out benchmarks/results/count_tokens_memory.json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

QUESTION = "Anna has a red ball in the park. Which of the following options is the correct answer to the question? "


def measure(processor: str, instances: int, chunk: int) -> dict:
    from transformers import AutoTokenizer

    import mlan.training.tokens as tokens

    tokens.CHUNK = chunk
    tokenizer = AutoTokenizer.from_pretrained(processor)
    rows = [
        {"conversations": [{"from": "human", "value": (QUESTION * 3)[: 300 + i % 200]},
                           {"from": "gpt", "value": "In short, the direct answer is: red"}]}
        for i in range(instances)
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    counts = tokens.count_tokens(rows, tokenizer, 576, "conversation")
    return {
        "chunk": chunk,
        "instances": instances,
        "text_tokens": counts["text_tokens"],
        "seconds": round(time.perf_counter() - start, 2),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "rss_before_counting_mb": before // 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processor", required=True, help="a saved processor folder (its tokenizer)")
    parser.add_argument("--instances", type=int, default=80000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child process: one chunk size
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.processor, args.instances, args.one)))
        return
    arms = []
    for chunk in (10**9, 2048):  # whole, then the pipeline's chunks
        command = [sys.executable, "-m", "benchmarks.count_tokens_memory", "--processor", args.processor,
                   "--instances", str(args.instances), "--one", str(chunk)]  # fmt: skip
        arms.append(
            json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        )
    if len({arm["text_tokens"] for arm in arms}) != 1:
        raise SystemExit(f"counts differ: {arms}")
    result = {"whole": arms[0], "chunked": arms[1]}
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
