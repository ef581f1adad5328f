"""Text as ids: vocabularies (vocab), byte-pair-encoded subwords (bpe), and the check that a value is a list of
str tokens (tokens)."""
