"""Small seeded copies of each dataset in its real raw on-disk form (the embedded default).

Every ``mlan.data.toy.<dataset>`` module has ``generate(root, rows, seed)`` writing files that
the matching adapter in ``mlan.data.sources`` reads unchanged. Toy tasks are learnable: the
answer follows from the context or the image by a simple rule.
"""
