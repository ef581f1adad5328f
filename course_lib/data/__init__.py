"""Offline data sets, one module each: names (census first names), tagging (a generated NER set),
dates (generated multilingual dates -> ISO), tasks (synthetic long-range tasks)."""
