"""Data stage: raw sources -> normalized records and images -> instruction mixtures."""
