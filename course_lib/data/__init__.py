"""Offline data sets: loaded from installed packages or generated, never downloaded."""
from .names import load_names
from .parallel import bucket_batches, build_vocabs, date_pairs, encode_pairs, number_pairs

__all__ = ["load_names", "date_pairs", "number_pairs", "build_vocabs", "encode_pairs", "bucket_batches"]
