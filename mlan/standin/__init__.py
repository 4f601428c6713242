"""A stand-in of the paper's grid: ``config/paper.yaml`` with only sizes changed, so every
code path the paper configuration takes runs on a CPU in minutes.

What differs from the paper config (``mlan.standin.grid.SIZES``): every dataset is a local
folder in its hub layout (written by the toy generators), the LLMs and the vision tower
are local folders saved with ``save_pretrained`` from the real classes at a small width
(``mlan.standin.weights``), and budgets, batch sizes and counts are scaled down. Methods,
ratio grid, budget scaling, the training recipe (DeepSpeed ZeRO-2 / ZeRO-3, packing, data
loader workers, gradient checkpointing, grouping by modality) and the evaluation protocol
are the paper config's own. ``python -m mlan.standin --out DIR`` writes it all.
"""
