"""Offline data sets: loaded from installed packages or generated, never downloaded."""
from .names import load_names

__all__ = ["load_names"]
