"""Building blocks: the recurrent base and weight copying (recurrent), the vanilla RNN (rnn), gates
(gating), the LSTM (lstm), the GRU (gru), attention scores and masked softmax (attention)."""
