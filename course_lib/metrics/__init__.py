"""Measuring outputs: accuracy, exact match and accuracy by length (accuracy); BLEU and chrF (bleu);
perplexity and mean NLL per predicted symbol (perplexity); MAE, MASE, MAPE and the naive and seasonal-naive
forecasts (forecast); per-point anomaly scores, a threshold from validation data, rolling z-score and
nearest-neighbour baselines (anomaly); ROUGE-1/2/L (rouge); edit-level precision, recall and F0.5 for grammar
correction (edits); repeated n-gram rate and distinct-n (diversity); SQuAD v1.1 answer normalisation, exact match and token F1
(squad); edit distance, corpus WER and CER (error_rate)."""
