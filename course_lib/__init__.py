"""course_lib: the reference code, data, training loop, plots and test helpers the notebooks import.

Modules, by topic:
    runtime    device, seeding, grading budgets, notebook set-up
    checks     helpers for the tests under each exercise (clear failure messages)
    plotting   the course plot style and small plotting helpers
    text       vocabularies (token <-> id)
    data       offline data sets: data.names (census names), data.tagging (generated NER),
               data.parallel (generated date and number pairs for seq2seq)
    recurrent  what every recurrent layer shares (layers, directions, states) and copy_weights
    rnn        the vanilla RNN: NumPy forward/BPTT, torch cell, ElmanRNN matching nn.RNN
    gating     gates, gated updates, forget-gate bias initialisation
    lstm       the LSTM: NumPy cell forward/backward, torch cell, peephole cell, LSTMCell/LSTM matching nn
    gru        the GRU (PyTorch's variant): NumPy cell forward/backward, torch cell, GRUCell/GRU matching nn
    gradients  gradient clipping and measured gradient norms through time
    tasks      synthetic long-range tasks (copy, adding)
    metrics    masked accuracy
    batching   padding, length masks, packing, masked cross-entropy, bucketed batches
    seq2seq    encoder, decoder, teacher forcing, greedy decoding, beam search
    attention  dot/general/additive scores, masked softmax, the attention decoder
    bleu       BLEU from scratch, and sacrebleu's BLEU and chrF for reporting
    training   the training loop with clipping, progress bar and history
"""
__version__ = "0.1.0"
