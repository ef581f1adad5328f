"""Building blocks: the recurrent base and weight copying (recurrent), the vanilla RNN (rnn), gates
(gating), the LSTM (lstm), the GRU (gru), attention scores and masked softmax (attention), masked attention
pooling (pooling), the linear-chain CRF: path score, forward algorithm, loss, BIO constraints (crf), a
pointer-generator's pieces: extended-vocabulary ids, decoder inputs, the final distribution, a NaN-safe NLL,
the coverage loss (pointer), the hierarchical dialogue encoder, its masks and the dual-attention decoder step
(hierarchical), the output length of a convolution and a strided Conv2d front end for speech (subsampling)."""
