"""Wrong answers for Day 07 (attention: scores, masked softmax, an attention decoder step, BLEU)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'multiplicative_scores': [
        ('general: W transposed (query @ W.T), right only for a symmetric W', [
            ('    return torch.bmm(keys, (query @ weight).unsqueeze(-1)).squeeze(-1)   # (B, S, H_k) @ (B, H_k, 1)',
             '    return torch.bmm(keys, (query @ weight.T).unsqueeze(-1)).squeeze(-1)'),
        ]),
        ("dot scores divided by sqrt(H) (the transformer's scaled dot product)", [
            ('    return torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)          # (B, S, H) @ (B, H, 1) -> (B, S)',
             '    return torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1) / math.sqrt(query.shape[-1])'),
        ]),
        ('softmax applied inside the score function: weights instead of scores', [
            ('    return torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)          # (B, S, H) @ (B, H, 1) -> (B, S)',
             '    return torch.softmax(torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1), dim=-1)'),
        ]),
        ('.squeeze() without an axis: batch 1 with one source position collapses to a scalar', [
            ('    return torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)          # (B, S, H) @ (B, H, 1) -> (B, S)',
             '    return torch.bmm(keys, query.unsqueeze(-1)).squeeze()'),
        ]),
        ('query @ keys.transpose(1, 2) on a 2-D query broadcasts over the batch: (B, B, S)', [
            ('    return torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)          # (B, S, H) @ (B, H, 1) -> (B, S)',
             '    return query @ keys.transpose(1, 2)'),
        ]),
        ("general: einsum reuses the query's index for the key (W summed over its rows)", [
            ('    return torch.bmm(keys, (query @ weight).unsqueeze(-1)).squeeze(-1)   # (B, S, H_k) @ (B, H_k, 1)',
             '    return torch.einsum("bi,ij,bsi->bs", query, weight, keys)'),
        ]),
        # whole answer: computed in NumPy (dtype kept, gradient lost)
        ('computed with numpy.einsum: right values and dtype, but no gradient reaches the query or W', """
def dot_scores(query, keys):
    return torch.from_numpy(np.einsum("bh,bsh->bs", query.detach().numpy(), keys.detach().numpy()))


def general_scores(query, keys, weight):
    q, w, k = query.detach().numpy(), weight.detach().numpy(), keys.detach().numpy()
    return torch.from_numpy(np.einsum("bi,ij,bsj->bs", q, w, k))
"""),
        # whole answer: loops into a float32 buffer
        ('loops over the batch and the source into torch.zeros(B, S): float32 whatever the inputs', """
def dot_scores(query, keys):
    B, S, _ = keys.shape
    scores = torch.zeros(B, S)
    for b in range(B):
        for j in range(S):
            scores[b, j] = query[b] @ keys[b, j]
    return scores


def general_scores(query, keys, weight):
    B, S, _ = keys.shape
    scores = torch.zeros(B, S)
    for b in range(B):
        for j in range(S):
            scores[b, j] = query[b] @ weight @ keys[b, j]
    return scores
"""),
        ('dot: elementwise product summed over the source axis (dim=1) instead of the hidden axis', [
            ('    return torch.bmm(keys, query.unsqueeze(-1)).squeeze(-1)          # (B, S, H) @ (B, H, 1) -> (B, S)',
             '    return (query.unsqueeze(1) * keys).sum(dim=1)'),
        ]),
        ('general: W applied on the keys\' side the wrong way round (keys @ W), fits only when H_q = H_k', [
            ('    return torch.bmm(keys, (query @ weight).unsqueeze(-1)).squeeze(-1)   # (B, S, H_k) @ (B, H_k, 1)',
             '    return torch.bmm(keys @ weight, query.unsqueeze(-1)).squeeze(-1)'),
        ]),
        # held-out review (issue 10): a float32 cast in general_scores only
        ('general: keys and the projected query cast with .float(): float32 whatever the inputs', [
            ('    return torch.bmm(keys, (query @ weight).unsqueeze(-1)).squeeze(-1)   # (B, S, H_k) @ (B, H_k, 1)',
             '    return torch.bmm(keys.float(), (query @ weight).float().unsqueeze(-1)).squeeze(-1)'),
        ]),
    ],
    'additive_scores': [
        ('tanh missing: a linear score', [
            ('    return torch.tanh(projected) @ v                                    # (B, S)',
             '    return projected @ v'),
        ]),
        ('v applied before the tanh', [
            ('    return torch.tanh(projected) @ v                                    # (B, S)',
             '    return torch.tanh(projected @ v)'),
        ]),
        ('sigmoid instead of tanh', [
            ('    return torch.tanh(projected) @ v                                    # (B, S)',
             '    return torch.sigmoid(projected) @ v'),
        ]),
        ('w_query not transposed (query @ w_query): right only for a square, symmetric W_q', [
            ('    projected = (query @ w_query.T).unsqueeze(1) + keys @ w_keys.T      # (B, 1, A) + (B, S, A) -> (B, S, A)',
             '    projected = (query @ w_query).unsqueeze(1) + keys @ w_keys.T'),
        ]),
        ('projected query unsqueezed on the batch axis: (1, B, A) only broadcasts for batch 1', [
            ('    projected = (query @ w_query.T).unsqueeze(1) + keys @ w_keys.T      # (B, 1, A) + (B, S, A) -> (B, S, A)',
             '    projected = (query @ w_query.T).unsqueeze(0) + keys @ w_keys.T'),
        ]),
        ('v times the hidden layer summed over the source positions instead of the attention units', [
            ('    return torch.tanh(projected) @ v                                    # (B, S)',
             '    return (torch.tanh(projected) * v).sum(dim=1)'),
        ]),
        ('W_q and W_k swapped: the query projected with w_keys, the keys with w_query', [
            ('    projected = (query @ w_query.T).unsqueeze(1) + keys @ w_keys.T      # (B, 1, A) + (B, S, A) -> (B, S, A)',
             '    projected = (query @ w_keys.T).unsqueeze(1) + keys @ w_query.T'),
        ]),
        ('ReLU instead of tanh', [
            ('    return torch.tanh(projected) @ v                                    # (B, S)',
             '    return torch.relu(projected) @ v'),
        ]),
        ('v forgotten: tanh summed over the attention units', [
            ('    return torch.tanh(projected) @ v                                    # (B, S)',
             '    return torch.tanh(projected).sum(dim=-1)'),
        ]),
        ('projected query not unsqueezed: (B, A) + (B, S, A) lines the batch up with the source positions', [
            ('    projected = (query @ w_query.T).unsqueeze(1) + keys @ w_keys.T      # (B, 1, A) + (B, S, A) -> (B, S, A)',
             '    projected = query @ w_query.T + keys @ w_keys.T'),
        ]),
        ('everything cast to float32 with .float() to avoid dtype errors: float64 precision lost', [
            ('    projected = (query @ w_query.T).unsqueeze(1) + keys @ w_keys.T      # (B, 1, A) + (B, S, A) -> (B, S, A)',
             '    query, keys, w_query, w_keys, v = query.float(), keys.float(), w_query.float(), w_keys.float(), v.float()\n'
             '    projected = (query @ w_query.T).unsqueeze(1) + keys @ w_keys.T'),
        ]),
        # held-out review (issue 10)
        ('everything cast with .float(): float32 scores for float64 inputs', """
def additive_scores(query, keys, w_query, w_keys, v):
    projected = (query.float() @ w_query.float().T).unsqueeze(1) + keys.float() @ w_keys.float().T
    return torch.tanh(projected) @ v.float()
"""),
        ('v.data in the contraction: right values, but no gradient reaches v (the model never learns v)', [
            ('    return torch.tanh(projected) @ v ', '    return torch.tanh(projected) @ v.data '),
        ]),
    ],
    'masked_softmax': [
        ('a small finite fill (-100): padding gets weight once the real scores are very negative', [
            ('    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)',
             '    weights = torch.softmax(scores.masked_fill(~mask, -100.0), dim=-1)'),
            ('    return weights * mask                                        # an all-padding row: uniform * 0 = 0',
             '    return weights * mask.any(dim=-1, keepdim=True)'),
        ]),
        ('mask inverted: the padding gets the weight', [
            ('    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)',
             '    weights = torch.softmax(scores.masked_fill(mask, lowest), dim=-1)'),
            ('    return weights * mask                                        # an all-padding row: uniform * 0 = 0',
             '    return weights * ~mask'),
        ]),
        ('padding filled with -inf: a row that is all padding is NaN', [
            ('    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)',
             '    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)'),
            ('    return weights * mask                                        # an all-padding row: uniform * 0 = 0',
             '    return weights'),
        ]),
        ('padding filled with 0 instead of a very negative number', [
            ('    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)',
             '    weights = torch.softmax(scores.masked_fill(~mask, 0.0), dim=-1)'),
        ]),
        ('softmax over all positions, then multiplied by the mask: rows no longer sum to 1', [
            ('    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)',
             '    weights = torch.softmax(scores, dim=-1)'),
        ]),
        ('lowest-float fill but no zeroing: a row that is all padding comes out uniform', [
            ('    return weights * mask                                        # an all-padding row: uniform * 0 = 0',
             '    return weights'),
        ]),
        ('softmax over the batch axis (dim=0)', [
            ('    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)',
             '    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=0)'),
        ]),
        # whole answer: a different algorithm: a hand-written softmax
        ('hand-written softmax without subtracting the row max: exp overflows for large scores', '''
def masked_softmax(scores, mask):
    e = torch.exp(scores) * mask
    return e / e.sum(dim=-1, keepdim=True).clamp_min(1e-12)
'''),
        # whole answer: a different algorithm: a hand-written softmax
        ('hand-written softmax shifted by the max over the whole row, padding included: underflows to 0', '''
def masked_softmax(scores, mask):
    e = torch.exp(scores - scores.max(dim=-1, keepdim=True).values) * mask
    return e / e.sum(dim=-1, keepdim=True).clamp_min(1e-12)
'''),
        ("masked_fill_ in place: overwrites the caller's scores (an error on a leaf that requires grad)", [
            ('    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)',
             '    scores.masked_fill_(~mask, lowest)\n'
             '    weights = torch.softmax(scores, dim=-1)'),
        ]),
        # whole answer: a different loop structure: row by row into a new tensor
        ("row-by-row loop into torch.zeros(scores.shape): float32 whatever the scores' dtype", '''
def masked_softmax(scores, mask):
    weights = torch.zeros(scores.shape)
    for b in range(scores.shape[0]):
        if mask[b].any():
            weights[b, mask[b]] = torch.softmax(scores[b, mask[b]], dim=0)
    return weights
'''),
        ('log-mask trick (scores + log(mask)) with NaN rows zeroed afterwards: the gradient is NaN', [
            ('    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)',
             '    weights = torch.softmax(scores + torch.log(mask.to(scores.dtype)), dim=-1)'),
            ('    return weights * mask                                        # an all-padding row: uniform * 0 = 0',
             '    return torch.where(mask.any(dim=-1, keepdim=True), weights, torch.zeros_like(weights))'),
        ]),
        ('a -1e9 fill: fine in float32, but float16 cannot hold it', [
            ('    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)',
             '    weights = torch.softmax(scores.masked_fill(~mask, -1e9), dim=-1)'),
        ]),
        ('a -1e4 fill (float16-safe): padding gets weight once the real scores are below about -1e4', [
            ('    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)',
             '    weights = torch.softmax(scores.masked_fill(~mask, -1e4), dim=-1)'),
        ]),
        ('mask multiplied into the scores (scores * mask): padding scores 0, not -inf', [
            ('    weights = torch.softmax(scores.masked_fill(~mask, lowest), dim=-1)',
             '    weights = torch.softmax(scores * mask, dim=-1)'),
        ]),
        # whole answer: a different algorithm: renormalise after masking
        ('softmax over every position, times the mask, renormalised: 0/0 for a row that is all padding', """
def masked_softmax(scores, mask):
    weights = torch.softmax(scores, dim=-1) * mask
    return weights / weights.sum(dim=-1, keepdim=True)
"""),
        # held-out review (issue 10): a fill that is low, but not the lowest for the scores' dtype
        ("padding filled with float16's lowest (-65504) whatever the scores' dtype", [
            ('torch.finfo(scores.dtype).min', 'torch.finfo(torch.float16).min'),
        ]),
    ],
    'attention_step': [
        ("ignores the state it is given: the RNN restarts from the encoder's final state every step", [
            ('    output, state = decoder.rnn(decoder.embedding(prev_tokens).unsqueeze(1), state)   # (B, 1, H)',
             '    output, state = decoder.rnn(decoder.embedding(prev_tokens).unsqueeze(1), decoder.init_state(enc))'),
        ]),
        ('query is the old state (before the RNN step)', [
            ('    query = output.squeeze(1)                                                        # (B, H)\n',
             ''),
            ('    output, state = decoder.rnn(decoder.embedding(prev_tokens).unsqueeze(1), state)   # (B, 1, H)',
             '    query = state[0][-1] if isinstance(state, tuple) else state[-1]\n'
             '    output, state = decoder.rnn(decoder.embedding(prev_tokens).unsqueeze(1), state)   # (B, 1, H)'),
        ]),
        ('no mask: plain softmax, padded positions get weight', [
            ('    weights = masked_softmax(decoder.attention(query, enc.states), enc.mask)          # (B, S)',
             '    weights = torch.softmax(decoder.attention(query, enc.states), dim=-1)'),
        ]),
        ('concatenation order [context; query]', [
            ('    mixed = torch.tanh(decoder.combine(torch.cat([query, context], dim=-1)))          # (B, H)',
             '    mixed = torch.tanh(decoder.combine(torch.cat([context, query], dim=-1)))'),
        ]),
        ('tanh missing after combine', [
            ('    mixed = torch.tanh(decoder.combine(torch.cat([query, context], dim=-1)))          # (B, H)',
             '    mixed = decoder.combine(torch.cat([query, context], dim=-1))'),
        ]),
        ('context is the plain mean of the encoder states (weights not used)', [
            ('    context = torch.bmm(weights.unsqueeze(1), enc.states).squeeze(1)                 # (B, H_k)',
             '    context = enc.states.mean(dim=1)'),
        ]),
        ('.squeeze() without an axis: batch 1 loses its batch axis', [
            ('    query = output.squeeze(1)                                                        # (B, H)',
             '    query = output.squeeze()'),
        ]),
        ("query = new_state[-1]: the top layer's h for a GRU, but the cell state c for an LSTM", [
            ('    query = output.squeeze(1)                                                        # (B, H)',
             '    query = state[-1]'),
        ]),
        ("query from the bottom layer's state, not the top layer's (wrong for stacked RNNs)", [
            ('    query = output.squeeze(1)                                                        # (B, H)',
             '    h = state[0] if isinstance(state, tuple) else state\n'
             '    query = h[0]'),
        ]),
        ('padding guessed from all-zero encoder states instead of enc.mask', [
            ('    weights = masked_softmax(decoder.attention(query, enc.states), enc.mask)          # (B, S)',
             '    mask = enc.states.abs().sum(dim=-1) > 0\n'
             '    weights = masked_softmax(decoder.attention(query, enc.states), mask)'),
        ]),
        ('context from the raw scores instead of the softmax weights', [
            ('    weights = masked_softmax(decoder.attention(query, enc.states), enc.mask)          # (B, S)\n'
             '    context = torch.bmm(weights.unsqueeze(1), enc.states).squeeze(1)                 # (B, H_k)',
             '    scores = decoder.attention(query, enc.states)\n'
             '    weights = masked_softmax(scores, enc.mask)\n'
             '    context = torch.bmm(scores.unsqueeze(1), enc.states).squeeze(1)'),
        ]),
        ('weights detached (to plot them) before the context: no gradient reaches the attention weights', [
            ('    context = torch.bmm(weights.unsqueeze(1), enc.states).squeeze(1)                 # (B, H_k)',
             '    weights = weights.detach()\n'
             '    context = torch.bmm(weights.unsqueeze(1), enc.states).squeeze(1)'),
        ]),
        ('returns the state it was given instead of the new one', [
            ('    output, state = decoder.rnn(decoder.embedding(prev_tokens).unsqueeze(1), state)   # (B, 1, H)',
             '    output, _ = decoder.rnn(decoder.embedding(prev_tokens).unsqueeze(1), state)'),
        ]),
        ('plain softmax times the mask, not renormalised: the rows do not sum to 1', [
            ('    weights = masked_softmax(decoder.attention(query, enc.states), enc.mask)          # (B, S)',
             '    weights = torch.softmax(decoder.attention(query, enc.states), dim=-1) * enc.mask'),
        ]),
        ('query + context instead of combine([query; context])', [
            ('    mixed = torch.tanh(decoder.combine(torch.cat([query, context], dim=-1)))          # (B, H)',
             '    mixed = torch.tanh(query + context)'),
        ]),
    ],
    'modified_precision': [
        ("n-grams joined into strings: ('ab', 'c') and ('a', 'bc') collide", [
            ('''        most |= ngrams(reference)                         # the most any one reference has of each n-gram
''',
             '''        most |= ngrams(reference)
'''),
            ('''        return Counter(tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1))

''',
             '''        return Counter("".join(tokens[i: i + n]) for i in range(len(tokens) - n + 1))
'''),
            ('''def modified_precision(hypothesis: list[str], references: list[list[str]], n: int) -> tuple[int, int]:
    """hypothesis: tokens; references: one or more token lists; n >= 1 -> (clipped matches, hypothesis n-grams)."""
''',
             '''def modified_precision(hypothesis, references, n):
'''),
        ]),
        ('no clipping: every matching n-gram counts', [
            ('    return sum(min(count, most[g]) for g, count in hyp.items()), sum(hyp.values())',
             '    return sum(count for g, count in hyp.items() if most[g] > 0), sum(hyp.values())'),
        ]),
        ('clipped by the sum over the references instead of the max', [
            ('        most |= ngrams(reference)                         # the most any one reference has of each n-gram',
             '        most += ngrams(reference)'),
        ]),
        ('clipped by the min over the references (Counter & instead of |)', [
            ('    hyp, most = ngrams(hypothesis), Counter()',
             '    hyp, most = ngrams(hypothesis), ngrams(references[0])'),
            ('        most |= ngrams(reference)                         # the most any one reference has of each n-gram',
             '        most &= ngrams(reference)'),
        ]),
        ('clipped against the first reference only', [
            ('    for reference in references:',
             '    for reference in references[:1]:'),
        ]),
        ('total is len(hypothesis) for every n', [
            ('    return sum(min(count, most[g]) for g, count in hyp.items()), sum(hyp.values())',
             '    return sum(min(count, most[g]) for g, count in hyp.items()), len(hypothesis)'),
        ]),
        ('off by one: range(len(tokens) - n) drops the last n-gram', [
            ('''        most |= ngrams(reference)                         # the most any one reference has of each n-gram
''',
             '''        most |= ngrams(reference)
'''),
            ('''        return Counter(tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1))
''',
             '''        return Counter(tuple(tokens[i: i + n]) for i in range(len(tokens) - n))
'''),
            ('''def modified_precision(hypothesis: list[str], references: list[list[str]], n: int) -> tuple[int, int]:
    """hypothesis: tokens; references: one or more token lists; n >= 1 -> (clipped matches, hypothesis n-grams)."""
''',
             '''def modified_precision(hypothesis, references, n):
'''),
        ]),
        ("the hypothesis count is not a bound: matches = the reference's max count per distinct n-gram", [
            ('    return sum(min(count, most[g]) for g, count in hyp.items()), sum(hyp.values())',
             '    return sum(most[g] for g in hyp), sum(hyp.values())'),
        ]),
        # whole answer: scored reference by reference
        ('clipped reference by reference, then the best reference taken (max of per-reference matches)', """
def modified_precision(hypothesis, references, n):
    def ngrams(tokens):
        return Counter(tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1))

    hyp = ngrams(hypothesis)
    best = 0
    for reference in references:
        ref = ngrams(reference)
        best = max(best, sum(min(c, ref[g]) for g, c in hyp.items()))
    return best, sum(hyp.values())
"""),
        ('total = len(hypothesis) - n + 1: negative for a hypothesis shorter than n - 1', [
            ('    return sum(min(count, most[g]) for g, count in hyp.items()), sum(hyp.values())',
             '    return sum(min(count, most[g]) for g, count in hyp.items()), len(hypothesis) - n + 1'),
        ]),
        ('total counts distinct n-grams only', [
            ('    return sum(min(count, most[g]) for g, count in hyp.items()), sum(hyp.values())',
             '    return sum(min(count, most[g]) for g, count in hyp.items()), len(hyp)'),
        ]),
        ('hypothesis n-grams as a set: each distinct n-gram matches at most once', [
            ('    return sum(min(count, most[g]) for g, count in hyp.items()), sum(hyp.values())',
             '    return sum(1 for g in hyp if most[g] > 0), sum(hyp.values())'),
        ]),
        ('tokens lower-cased before counting: "The" matches "the"', [
            ('        return Counter(tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1))',
             '        tokens = [t.lower() for t in tokens]\n'
             '        return Counter(tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1))'),
        ]),
        # held-out review (issue 10)
        ('tokens lower-cased before counting: "The" matches "the"', """
def modified_precision(hypothesis, references, n):
    def grams(t):
        t = [w.lower() for w in t]
        return Counter(tuple(t[i:i + n]) for i in range(len(t) - n + 1))
    hyp, most = grams(hypothesis), Counter()
    for r in references:
        most |= grams(r)
    return sum(min(c, most[g]) for g, c in hyp.items()), sum(hyp.values())
"""),
        ("n-grams joined with spaces: ('a b', 'c') and ('a', 'b c') collide", """
def modified_precision(hypothesis, references, n):
    def grams(t):
        return Counter(" ".join(t[i:i + n]) for i in range(len(t) - n + 1))
    hyp, most = grams(hypothesis), Counter()
    for r in references:
        most |= grams(r)
    return sum((hyp & most).values()), sum(hyp.values())
"""),
    ],
    'corpus_bleu': [
        # whole answer: delegates to sacrebleu, a different algorithm
        ('delegates to sacrebleu instead of computing BLEU', '''
def corpus_bleu(hypotheses, references, max_n=4):
    k = max(len(r) for r in references)
    streams = [[" ".join(r[i]) if i < len(r) else None for r in references] for i in range(k)]
    bleu = sacrebleu.BLEU(tokenize="none", smooth_method="none", max_ngram_order=max_n)
    return bleu.corpus_score([" ".join(h) for h in hypotheses], streams).score
'''),
        # whole answer: a different algorithm: sentence-level BLEUs averaged
        ('mean of sentence-level BLEUs instead of corpus sums', '''
def corpus_bleu(hypotheses, references, max_n=4):
    scores = []
    for hyp, refs in zip(hypotheses, references):
        precisions = [modified_precision(hyp, refs, n) for n in range(1, max_n + 1)]
        if min(m for m, t in precisions) == 0:
            scores.append(0.0)
            continue
        r = min((len(x) for x in refs), key=lambda r: (abs(len(hyp) - r), r))
        brevity = 1.0 if len(hyp) >= r else math.exp(1 - r / len(hyp))
        scores.append(100 * brevity * math.exp(sum(math.log(m / t) for m, t in precisions) / max_n))
    return sum(scores) / len(scores)
'''),
        ('arithmetic mean of the precisions instead of the geometric mean', [
            ('    return 100 * brevity * math.exp(log_precision)',
             '    return 100 * brevity * precision'),
            ('    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n',
             '    precision = sum(m / t for m, t in zip(matches, totals)) / max_n'),
        ]),
        ('no brevity penalty', [
            ('    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n\n'
             '    brevity = 1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / hyp_len)\n'
             '    return 100 * brevity * math.exp(log_precision)',
             '    return 100 * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n)'),
            ('        hyp_len += len(hyp)\n'
             '        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))   # closest, shorter on a tie\n',
             ''),
            ('    hyp_len = ref_len = 0\n',
             ''),
        ]),
        ('brevity penalty with the ratio inverted: exp(1 - c / r)', [
            ('''    brevity = 1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / hyp_len)
''',
             '''    brevity = 1.0 if hyp_len >= ref_len else math.exp(1 - hyp_len / ref_len)
'''),
            ('''        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))   # closest, shorter on a tie
''',
             '''        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))
'''),
            ('''def corpus_bleu(hypotheses: list[list[str]], references: list[list[list[str]]], max_n: int = 4) -> float:
    """Corpus BLEU in [0, 100], uniform weights over n = 1..max_n, brevity penalty, no smoothing."""
''',
             '''def corpus_bleu(hypotheses, references, max_n=4):
'''),
        ]),
        ('shortest reference length instead of the closest', [
            ('''        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))   # closest, shorter on a tie
''',
             '''        ref_len += min(len(r) for r in refs)
'''),
            ('''def corpus_bleu(hypotheses: list[list[str]], references: list[list[list[str]]], max_n: int = 4) -> float:
    """Corpus BLEU in [0, 100], uniform weights over n = 1..max_n, brevity penalty, no smoothing."""
''',
             '''def corpus_bleu(hypotheses, references, max_n=4):
'''),
        ]),
        ('closest reference by |difference| only: min() keeps the first listed on a tie, not the shorter', [
            ('''        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))   # closest, shorter on a tie
''',
             '''        ref_len += len(min(refs, key=lambda r: abs(len(r) - len(hyp))))
'''),
            ('''def corpus_bleu(hypotheses: list[list[str]], references: list[list[list[str]]], max_n: int = 4) -> float:
    """Corpus BLEU in [0, 100], uniform weights over n = 1..max_n, brevity penalty, no smoothing."""
''',
             '''def corpus_bleu(hypotheses, references, max_n=4):
'''),
        ]),
        ('returns a fraction in [0, 1] instead of [0, 100]', [
            ('    return 100 * brevity * math.exp(log_precision)',
             '    return brevity * math.exp(log_precision)'),
        ]),
        ('no zero-match check: log(0) raises a math domain error', [
            ('''        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))   # closest, shorter on a tie
    if min(matches) == 0:
        return 0.0
''',
             '''        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))
'''),
            ('''def corpus_bleu(hypotheses: list[list[str]], references: list[list[list[str]]], max_n: int = 4) -> float:
    """Corpus BLEU in [0, 100], uniform weights over n = 1..max_n, brevity penalty, no smoothing."""
''',
             '''def corpus_bleu(hypotheses, references, max_n=4):
'''),
        ]),
        ('max_n ignored: always n = 1..4', [
            ('''    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
''',
             '''    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / 4
'''),
            ('''        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))   # closest, shorter on a tie
''',
             '''        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))
'''),
            ('''        for n in range(1, max_n + 1):
''',
             '''        for n in range(1, 5):
'''),
            ('''def corpus_bleu(hypotheses: list[list[str]], references: list[list[list[str]]], max_n: int = 4) -> float:
    """Corpus BLEU in [0, 100], uniform weights over n = 1..max_n, brevity penalty, no smoothing."""
    matches, totals = [0] * max_n, [0] * max_n
''',
             '''def corpus_bleu(hypotheses, references, max_n=4):
    matches, totals = [0] * 4, [0] * 4
'''),
        ]),
        ('longest reference length instead of the closest', [
            ('        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))   # closest, shorter on a tie',
             '        ref_len += max(len(r) for r in refs)'),
        ]),
        ('closest reference, the longer one on a tie', [
            ('        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))   # closest, shorter on a tie',
             '        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), -r))'),
        ]),
        ('reference length averaged over the references', [
            ('        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))   # closest, shorter on a tie',
             '        ref_len += sum(len(r) for r in refs) / len(refs)'),
        ]),
        # whole answer: brevity penalty per sentence
        ('brevity penalty per sentence, multiplied together, instead of one from the corpus lengths', """
def corpus_bleu(hypotheses, references, max_n=4):
    matches, totals = [0] * max_n, [0] * max_n
    brevity = 1.0
    for hyp, refs in zip(hypotheses, references):
        for n in range(1, max_n + 1):
            m, t = modified_precision(hyp, refs, n)
            matches[n - 1] += m
            totals[n - 1] += t
        r = min((len(x) for x in refs), key=lambda x: (abs(len(hyp) - x), x))
        if len(hyp) < r:
            brevity *= math.exp(1 - r / len(hyp))
    if min(matches) == 0:
        return 0.0
    return 100 * brevity * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n)
"""),
        # whole answer: precisions averaged over sentences
        ('p_n averaged over the sentences (macro) instead of pooled counts', """
def corpus_bleu(hypotheses, references, max_n=4):
    precisions = [[] for _ in range(max_n)]
    hyp_len = ref_len = 0
    for hyp, refs in zip(hypotheses, references):
        for n in range(1, max_n + 1):
            m, t = modified_precision(hyp, refs, n)
            if t > 0:
                precisions[n - 1].append(m / t)
        hyp_len += len(hyp)
        ref_len += min((len(r) for r in refs), key=lambda r: (abs(len(hyp) - r), r))
    p = [sum(x) / len(x) if x else 0.0 for x in precisions]
    if min(p) == 0:
        return 0.0
    brevity = 1.0 if hyp_len >= ref_len else math.exp(1 - ref_len / hyp_len)
    return 100 * brevity * math.exp(sum(math.log(x) for x in p) / max_n)
"""),
        ('add-one smoothing: a corpus without a 4-gram match scores above 0', [
            ('    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n',
             '    log_precision = sum(math.log((m + 1) / (t + 1)) for m, t in zip(matches, totals)) / max_n'),
            ('    if min(matches) == 0:\n        return 0.0\n', ''),
        ]),
        # held-out review (issue 10)
        ('an order with no n-grams in the corpus is skipped (geometric mean over the others) instead of giving 0', """
def corpus_bleu(hypotheses, references, max_n=4):
    matches, totals = [0] * max_n, [0] * max_n
    c = r = 0
    for hyp, refs in zip(hypotheses, references):
        for n in range(1, max_n + 1):
            m, t = modified_precision(hyp, refs, n)
            matches[n - 1] += m
            totals[n - 1] += t
        c += len(hyp)
        r += min((len(x) for x in refs), key=lambda L: (abs(L - len(hyp)), L))
    logs = []
    for m, t in zip(matches, totals):
        if t == 0:
            continue
        if m == 0:
            return 0.0
        logs.append(math.log(m / t))
    bp = 1.0 if c >= r else math.exp(1 - r / c)
    return 100 * bp * math.exp(sum(logs) / len(logs))
"""),
    ],
}
