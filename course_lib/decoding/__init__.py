"""Turning model scores into output sequences: greedy decoding (greedy), beam search (beam), temperature and
top-k / top-p sampling (sampling), CRF Viterbi decoding (viterbi), CTC greedy decoding: collapse repeats, then drop blanks (ctc)."""
