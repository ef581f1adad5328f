"""Turning model scores into output sequences: greedy decoding (greedy), beam search (beam), temperature and
top-k / top-p sampling (sampling), CRF Viterbi decoding (viterbi)."""
