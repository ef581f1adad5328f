"""course_lib: the reference code, data, training loop, plots and test helpers the notebooks import.

Organised by role, then by topic (`docs/DAYS.md` maps each day's exercises to the pieces they use):

    notebook/   runtime (device, seeds, grading budgets, set-up), checks (test-cell helpers),
                plotting (course style, attention maps), timing (best-of-N timer), rules (what an answer
                may not call), registry (each exercise: references, bans)
    text/       vocab (one vocabulary builder, the Vocab token <-> id map), bpe (byte-pair encoding),
                tokens (the check that a value is a list of str tokens)
    data/       splits (the Splits type every split loader returns), names (census first names),
                tagging (generated NER, and a harder set), dates (generated multilingual dates -> ISO),
                tasks (copy, adding), reviews (Amazon Fine Food sentiment), series (real time series,
                splits by time), windows (sliding windows inside a split), scaling (training-slice
                scaler), docstrings (stdlib code -> docstring line), grammar (grammar-correction pairs),
                dialogue (Shakespeare's speaker-labelled turns), qa (generated reading comprehension),
                speech (spoken digits as shipped log-mel features)
    audio/      features (mel scale, mel filterbank, log-mel frames from torch.stft)
    batching/   padding (pad, masks, pack/unpack, collate), buckets (length-bucketed batch order)
    layers/     recurrent (shared base, copy_weights, parameter counts), rnn, gating, lstm, gru,
                attention (dot/general/additive scores, masked softmax), pooling (masked attention
                pooling), crf (linear-chain CRF: path score, forward algorithm, loss, BIO constraints),
                pointer (pointer-generator: extended ids, final distribution, NLL, coverage loss),
                hierarchical (dialogue encoder, masks, dual-attention step), subsampling (conv lengths,
                strided Conv2d front end)
    models/     seq2seq (encoder, decoder, the seq2seq model), attention_decoder (Luong decoder),
                ngram (add-k n-gram LM), char_lm (character GRU LM), classifier (BiLSTM + attention
                pooling), tagger (BiLSTM tagger), forecaster (GRU forecasters, the multi-step
                decoding loop, LSTM autoencoder), pointer_generator (copying and coverage), dialogue
                (context / persona dialogue model), qa_generator (question-aware, copying), ctc_recognizer
                (conv + BiGRU + CTC)
    decoding/   greedy, beam (batched beam search with length normalisation), sampling (temperature,
                top-k, top-p), viterbi (CRF decoding), ctc (CTC greedy decoding)
    losses/     cross_entropy (masked cross-entropy, teacher-forced sequence loss), ctc (CTC loss by the
                alpha recursion)
    metrics/    accuracy (masked accuracy, exact match, accuracy by length), bleu (BLEU, sacrebleu, chrF),
                perplexity (perplexity, mean NLL), forecast (MAE, MASE, MAPE, naive baselines),
                anomaly (point scores, validation threshold, baselines), rouge (ROUGE-1/2/L),
                edits (edit-level P/R/F0.5), diversity (repeated n-grams, distinct-n), squad (SQuAD
                EM / token F1), error_rate (edit distance, WER, CER)
    training/   loop (the one training loop, early stopping), schedules (teacher-forcing ratio),
                benchmark (the course in one table: parameters, step time, recall, char-LM quality)
    gradients/  clipping (global-norm clipping), flow (measured gradient norms through time)

validation.py holds the argument checks the modules share (an int of at least a minimum).
"""
__version__ = "0.1.0"
