"""Training stage: processor, model assembly, projector pretraining and instruction tuning."""
