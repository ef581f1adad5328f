"""Measuring outputs: accuracy, exact match and accuracy by length (accuracy); BLEU and chrF (bleu);
perplexity and mean NLL per predicted symbol (perplexity)."""
