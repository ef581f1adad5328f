"""Text as ids: vocabularies (vocab) and byte-pair-encoded subwords (bpe)."""
