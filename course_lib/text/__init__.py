"""Text as ids: vocabularies (vocab)."""
