"""Whole models: encoder-decoder (seq2seq), the attention decoder (attention_decoder), the count-based add-k
n-gram language model (ngram), the character GRU language model (char_lm), the packed BiLSTM classifier with
attention pooling (classifier), Day 05's BiLSTM tagger (tagger)."""
