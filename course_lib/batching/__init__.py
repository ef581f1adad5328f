"""Batches of variable-length sequences: padding, masks, packing and collate functions (padding), and
length-bucketed batch order (buckets)."""
