"""Whole models: encoder-decoder (seq2seq) and the attention decoder (attention_decoder)."""
