"""Whole models: encoder-decoder (seq2seq), the attention decoder (attention_decoder), the count-based add-k
n-gram language model (ngram), the character GRU language model (char_lm), the packed BiLSTM classifier with
attention pooling (classifier), Day 05's BiLSTM tagger (tagger), recurrent forecasters and an LSTM autoencoder
for time series, with the multi-step decoding loop (forecaster), a small pointer-generator with optional
copying and coverage (pointer_generator), a context / persona dialogue model (dialogue), a question-aware
QA generator that can copy from the passage (qa_generator), a CTC speech recognizer: conv front end, BiGRU,
per-frame log-probabilities (ctc_recognizer)."""
