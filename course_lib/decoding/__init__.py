"""Turning a decoder into output sequences: greedy decoding (greedy) and beam search (beam)."""
