"""Independently written correct answers to Day 01's six exercises, in the styles different students use
(loops or comprehensions or vectorised code, other names, helper functions, other valid library calls; none
calls what its exercise may not call). They measure the copy detector's false-positive rate
(tests/course_tools/grader/test_synthetic_class.py, which also runs each through its exercise's full test cell
in a live kernel) and give the synthetic class's honest students distinct answers, as a real class has.

CORPUS[grade_id] is a list of whole answer cells, each different from the solution notebook's answer."""
from __future__ import annotations

VOCAB_DEF = '''def build_vocab(texts: list[str], min_count: int = 1) -> list[str]:
    """Character vocabulary of `texts`: SPECIALS, then characters seen >= min_count times,
    most frequent first, ties in alphabetical order. Returns the list itos."""
'''
ENCODE_DEF = '''def encode(text: str, stoi: dict[str, int]) -> torch.Tensor:
    """Ids of <bos>, the characters of `text` (<unk> when unknown), <eos>. Returns shape (len(text) + 2,), long."""
'''
STEP_DEF = '''def rnn_cell_step(x: np.ndarray, h_prev: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray,
                  b_ih: np.ndarray, b_hh: np.ndarray) -> np.ndarray:
    """One step of a tanh RNN.

    x: (B, D), h_prev: (B, H), W_ih: (H, D), W_hh: (H, H), b_ih: (H,), b_hh: (H,)
    returns h: (B, H)
    """
'''
FORWARD_DEF = '''def rnn_forward(xs: np.ndarray, h0: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray,
                b_ih: np.ndarray, b_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run a tanh RNN over a sequence.

    xs: (T, B, D), h0: (B, H); weights as in rnn_cell_step.
    returns (hs: (T, B, H), h_T: (B, H))
    """
'''
MODULE_HEAD = '''class RNN(nn.Module):
    """Single-layer tanh RNN, batch first; a drop-in for nn.RNN(input_size, hidden_size, batch_first=True)."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
'''
FORWARD_SIG = '''
    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, T, D), h0: (1, B, H) or None -> (output: (B, T, H), h_n: (1, B, H))"""
'''
CLIP_DEF = '''def clip_grad_norm(parameters: list[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale all gradients in place so their global L2 norm is at most max_norm; return the norm before."""
'''
COUNTER = "from collections import Counter\n\n\n"

BUILD_VOCAB = [
    COUNTER + VOCAB_DEF + '''    freq = Counter()
    for t in texts:
        freq.update(t)
    chars = sorted(freq, key=lambda c: (-freq[c], c))
    return list(SPECIALS) + [c for c in chars if freq[c] >= min_count and c not in SPECIALS]
''',
    COUNTER + VOCAB_DEF + '''    # count every character of every text
    counts = {}
    for text in texts:
        for ch in text:
            counts[ch] = counts.get(ch, 0) + 1
    frequent = []
    for ch in counts:
        if counts[ch] >= min_count and ch not in SPECIALS:
            frequent.append((-counts[ch], ch))
    frequent.sort()
    itos = list(SPECIALS)
    for _, ch in frequent:
        itos.append(ch)
    return itos
''',
    COUNTER + VOCAB_DEF + '''    c = Counter("".join(texts))
    keep = {ch: n for ch, n in c.items() if n >= min_count}
    order = sorted(sorted(keep), key=keep.get, reverse=True)  # stable: ties stay alphabetical
    return [*SPECIALS, *[ch for ch in order if ch not in SPECIALS]]
''',
    '''from collections import defaultdict


def build_vocab(texts, min_count=1):
    tally = defaultdict(int)
    for word in texts:
        for letter in word:
            tally[letter] += 1
    good = [letter for letter in tally if tally[letter] >= min_count]
    good.sort()
    good.sort(key=lambda letter: tally[letter], reverse=True)
    vocab = list(SPECIALS)
    vocab.extend(letter for letter in good if letter not in vocab)
    return vocab
''',
    COUNTER + VOCAB_DEF + '''    occurrences = Counter()
    for name in texts:
        occurrences += Counter(name)
    ranked = sorted(occurrences.items(), key=lambda item: (-item[1], item[0]))
    result = list(SPECIALS)
    for symbol, how_many in ranked:
        if how_many < min_count:
            break
        if symbol not in SPECIALS:
            result.append(symbol)
    return result
''',
    '''import collections


def _rank_key(pair):
    char, n = pair
    return (-n, char)


''' + VOCAB_DEF + '''    counter = collections.Counter(char for t in texts for char in t)
    pairs = [p for p in counter.items() if p[1] >= min_count]
    return list(SPECIALS) + [char for char, _ in sorted(pairs, key=_rank_key) if char not in SPECIALS]
''',
    COUNTER + VOCAB_DEF + '''    all_chars = [ch for text in texts for ch in text]
    uniq = set(all_chars)
    n_of = {ch: all_chars.count(ch) for ch in uniq}
    keep = sorted((ch for ch in uniq if n_of[ch] >= min_count), key=lambda ch: (-n_of[ch], ch))
    return list(SPECIALS) + [ch for ch in keep if ch not in SPECIALS]
''',
    COUNTER + VOCAB_DEF + '''    total = Counter()
    for s in texts:
        total.update(Counter(s))
    by_count = {}
    for ch, n in total.items():
        if n >= min_count:
            by_count.setdefault(n, []).append(ch)
    out = list(SPECIALS)
    for n in sorted(by_count, reverse=True):
        out += [ch for ch in sorted(by_count[n]) if ch not in out]
    return out
''',
    COUNTER + VOCAB_DEF + '''    import numpy as np
    joined = "".join(texts)
    if not joined:
        return list(SPECIALS)
    chars, counts = np.unique(list(joined), return_counts=True)  # chars come out sorted
    order = np.argsort(-counts, kind="stable")
    picked = [str(chars[i]) for i in order if counts[i] >= min_count]
    return list(SPECIALS) + [ch for ch in picked if ch not in SPECIALS]
''',
    COUNTER + VOCAB_DEF + '''    cnt = Counter()
    for text in texts:
        cnt.update(text)
    itos = list(SPECIALS)
    while cnt:
        best = min(cnt, key=lambda ch: (-cnt[ch], ch))
        if cnt[best] < min_count:
            break
        if best not in itos:
            itos.append(best)
        del cnt[best]
    return itos
''',
    COUNTER + '''def count_chars(texts):
    """How often each character occurs in all texts together."""
    counts = Counter()
    for text in texts:
        counts.update(text)
    return counts


def build_vocab(texts: list[str], min_count: int = 1) -> list[str]:
    counts = count_chars(texts)
    survivors = [ch for ch in counts if counts[ch] >= min_count]
    survivors = sorted(survivors, key=lambda ch: ch)
    survivors = sorted(survivors, key=lambda ch: counts[ch], reverse=True)
    return list(SPECIALS) + [ch for ch in survivors if ch not in SPECIALS]
''',
    COUNTER + VOCAB_DEF + '''    stats = Counter(ch for text in texts for ch in text)
    rows = sorted(stats.most_common(), key=lambda kv: (-kv[1], kv[0]))
    return list(SPECIALS) + [k for k, v in rows if v >= min_count and k not in set(SPECIALS)]
''',
    COUNTER + VOCAB_DEF + '''    seen = {}
    for i in range(len(texts)):
        for j in range(len(texts[i])):
            ch = texts[i][j]
            if ch in seen:
                seen[ch] += 1
            else:
                seen[ch] = 1
    candidates = [ch for ch in seen.keys() if seen[ch] >= min_count and ch not in SPECIALS]
    # bubble the most frequent to the front; equal counts in alphabetical order
    n = len(candidates)
    for a in range(n):
        for b in range(n - 1 - a):
            x, y = candidates[b], candidates[b + 1]
            if (seen[y], x) > (seen[x], y):
                candidates[b], candidates[b + 1] = y, x
    return list(SPECIALS) + candidates
''',
    COUNTER + VOCAB_DEF + '''    counts = Counter(ch for text in texts for ch in text)
    for special in SPECIALS:
        counts.pop(special, None)
    itos = list(SPECIALS)
    itos += sorted([ch for ch, k in counts.items() if k >= min_count], key=lambda ch: (-counts[ch], ord(ch)))
    return itos
''',
    COUNTER + VOCAB_DEF + '''    import itertools
    counts = Counter(itertools.chain.from_iterable(texts))
    groups = itertools.groupby(sorted(counts.items(), key=lambda kv: -kv[1]), key=lambda kv: kv[1])
    ordered = []
    for n, group in groups:
        if n >= min_count:
            ordered.extend(sorted(ch for ch, _ in group))
    return list(SPECIALS) + [ch for ch in ordered if ch not in SPECIALS]
''',
    COUNTER + VOCAB_DEF + '''    histogram = Counter()
    for text in texts:
        for ch in text:
            histogram[ch] += 1
    frequent = {ch for ch, n in histogram.items() if n >= min_count} - set(SPECIALS)
    return list(SPECIALS) + sorted(frequent, key=lambda ch: (histogram[ch] * -1, ch))
''',
    '''import functools
from collections import Counter


def build_vocab(texts: list[str], min_count: int = 1) -> list[str]:
    """SPECIALS first, then the characters by falling frequency (ties: alphabetical)."""
    counts = functools.reduce(lambda acc, t: acc + Counter(t), texts, Counter())

    def before(a, b):
        if counts[a] != counts[b]:
            return counts[b] - counts[a]
        return -1 if a < b else 1

    chars = sorted((ch for ch in counts if counts[ch] >= min_count), key=functools.cmp_to_key(before))
    return list(SPECIALS) + [ch for ch in chars if ch not in SPECIALS]
''',
    COUNTER + VOCAB_DEF + '''    c = Counter()
    for t in texts:
        c.update(list(t))
    letters = list(c.keys())
    letters.sort(key=str)
    letters.sort(key=c.__getitem__, reverse=True)
    specials = list(SPECIALS)
    return specials + list(filter(lambda ch: c[ch] >= min_count and ch not in specials, letters))
''',
    COUNTER + VOCAB_DEF + '''    frequency = Counter()
    for text in texts:
        frequency.update(text)
    buckets = [(count, char) for char, count in frequency.items() if count >= min_count]
    buckets.sort(key=lambda b: b[1])
    buckets.sort(key=lambda b: b[0], reverse=True)
    tokens = [char for _, char in buckets]
    return list(SPECIALS) + [tok for tok in tokens if tok not in SPECIALS]
''',
    COUNTER + VOCAB_DEF + '''    import heapq
    counts = Counter(ch for t in texts for ch in t)
    heap = [(-n, ch) for ch, n in counts.items() if n >= min_count and ch not in SPECIALS]
    heapq.heapify(heap)
    out = list(SPECIALS)
    while heap:
        out.append(heapq.heappop(heap)[1])
    return out
''',
    COUNTER + VOCAB_DEF + '''    if not texts:
        return list(SPECIALS)
    tallies = Counter(''.join(texts))
    alphabet = sorted(tallies)
    top = max(tallies.values())
    vocab = list(SPECIALS)
    for level in range(top, min_count - 1, -1):
        vocab += [ch for ch in alphabet if tallies[ch] == level and ch not in SPECIALS]
    return vocab
''',
    COUNTER + VOCAB_DEF + '''    counted = Counter(ch for text in texts for ch in text)
    def rank(ch):
        return -counted[ch], ch
    kept = [ch for ch in counted if counted[ch] >= min_count]
    kept.sort(key=rank)
    return list(SPECIALS) + [ch for ch in kept if ch not in SPECIALS]
''',
]

ENCODE = [
    ENCODE_DEF + '''    unk = stoi[UNK]
    return torch.tensor([stoi[BOS], *(stoi.get(c, unk) for c in text), stoi[EOS]], dtype=torch.long)
''',
    ENCODE_DEF + '''    ids = [stoi[BOS]]
    for ch in text:
        if ch in stoi:
            ids.append(stoi[ch])
        else:
            ids.append(stoi[UNK])
    ids.append(stoi[EOS])
    return torch.LongTensor(ids)
''',
    ENCODE_DEF + '''    out = torch.empty(len(text) + 2, dtype=torch.long)
    out[0] = stoi[BOS]
    for i, ch in enumerate(text):
        out[i + 1] = stoi.get(ch, stoi[UNK])
    out[-1] = stoi[EOS]
    return out
''',
    '''def encode(text, stoi):
    tokens = [BOS] + list(text) + [EOS]
    return torch.tensor([stoi[t] if t in stoi else stoi[UNK] for t in tokens]).long()
''',
    ENCODE_DEF + '''    lookup = lambda c: stoi.get(c, stoi[UNK])
    body = list(map(lookup, text))
    return torch.as_tensor([stoi[BOS]] + body + [stoi[EOS]], dtype=torch.int64)
''',
    '''def char_id(ch, stoi):
    """The id of one character, <unk> when it is not in the vocabulary."""
    return stoi[ch] if ch in stoi else stoi[UNK]


''' + ENCODE_DEF + '''    middle = [char_id(ch, stoi) for ch in text]
    return torch.tensor([stoi[BOS]] + middle + [stoi[EOS]], dtype=torch.long)
''',
    ENCODE_DEF + '''    unknown = stoi[UNK]
    sequence = torch.full((len(text) + 2,), unknown, dtype=torch.long)
    sequence[0], sequence[-1] = stoi[BOS], stoi[EOS]
    for pos, ch in enumerate(text, start=1):
        if ch in stoi:
            sequence[pos] = stoi[ch]
    return sequence
''',
    ENCODE_DEF + '''    res = []
    res.append(stoi[BOS])
    i = 0
    while i < len(text):
        res.append(stoi.get(text[i], stoi[UNK]))
        i += 1
    res.append(stoi[EOS])
    return torch.tensor(res, dtype=torch.long)
''',
    ENCODE_DEF + '''    import numpy as np
    arr = np.array([stoi[BOS]] + [stoi.get(c, stoi[UNK]) for c in text] + [stoi[EOS]], dtype=np.int64)
    return torch.from_numpy(arr)
''',
    ENCODE_DEF + '''    from collections import defaultdict
    table = defaultdict(lambda: stoi[UNK], stoi)
    return torch.tensor([table[BOS]] + [table[c] for c in text] + [table[EOS]], dtype=torch.long)
''',
    ENCODE_DEF + '''    begin, end, unk = stoi[BOS], stoi[EOS], stoi[UNK]
    codes = [begin]
    codes.extend(stoi.get(symbol, unk) for symbol in text)
    codes.append(end)
    return torch.tensor(codes).to(torch.long)
''',
    ENCODE_DEF + '''    wrapped = [BOS, *text, EOS]
    as_ids = []
    for token in wrapped:
        try:
            as_ids.append(stoi[token])
        except KeyError:
            as_ids.append(stoi[UNK])
    return torch.tensor(as_ids, dtype=torch.long)
''',
    ENCODE_DEF + '''    inner = torch.tensor([stoi.get(ch, stoi[UNK]) for ch in text], dtype=torch.long)
    bos = torch.tensor([stoi[BOS]], dtype=torch.long)
    eos = torch.tensor([stoi[EOS]], dtype=torch.long)
    return torch.cat([bos, inner, eos])
''',
    ENCODE_DEF + '''    get = stoi.get
    u = stoi[UNK]
    return torch.tensor([stoi[BOS]] + [get(x, u) for x in text] + [stoi[EOS]]).type(torch.long)
''',
    ENCODE_DEF + '''    ids = list()
    for token in [BOS] + [c for c in text] + [EOS]:
        ids += [stoi.get(token, stoi[UNK])]
    result = torch.zeros(len(ids), dtype=torch.long)
    result[:] = torch.tensor(ids)
    return result
''',
    ENCODE_DEF + '''    special = {name: stoi[name] for name in (BOS, EOS, UNK)}
    numbers = [special[BOS]]
    numbers += [stoi[c] if c in stoi else special[UNK] for c in text]
    numbers += [special[EOS]]
    return torch.tensor(numbers, dtype=torch.long)
''',
    ENCODE_DEF + '''    n = len(text)
    ids = [0] * (n + 2)
    ids[0] = stoi[BOS]
    ids[n + 1] = stoi[EOS]
    for k in range(n):
        ids[k + 1] = stoi.get(text[k], stoi[UNK])
    return torch.tensor(ids, dtype=torch.long)
''',
    ENCODE_DEF + '''    return torch.tensor(
        [stoi[BOS]]
        + [stoi[c] if c in stoi.keys() else stoi[UNK] for c in text]
        + [stoi[EOS]]
    ).long()
''',
    ENCODE_DEF + '''    mapped = torch.tensor([stoi.get(ch, -1) for ch in text], dtype=torch.long)
    mapped[mapped == -1] = stoi[UNK]
    return torch.cat((torch.tensor([stoi[BOS]]), mapped, torch.tensor([stoi[EOS]]))).long()
''',
    ENCODE_DEF + '''    def ids_of(chars):
        for ch in chars:
            yield stoi.get(ch, stoi[UNK])
    return torch.tensor([stoi[BOS], *ids_of(text), stoi[EOS]], dtype=torch.long)
''',
    ENCODE_DEF + '''    known = set(stoi)
    cleaned = [ch if ch in known else UNK for ch in text]
    ids = [stoi[tok] for tok in [BOS] + cleaned + [EOS]]
    return torch.tensor(ids, dtype=torch.long)
''',
]

RNN_CELL_STEP = [
    STEP_DEF + '''    pre = x @ W_ih.T + h_prev @ W_hh.T + b_ih + b_hh
    return np.tanh(pre)
''',
    STEP_DEF + '''    return np.tanh(np.dot(x, W_ih.T) + np.dot(h_prev, W_hh.T) + b_ih + b_hh)
''',
    STEP_DEF + '''    a = np.matmul(x, W_ih.transpose()) + b_ih
    b = np.matmul(h_prev, W_hh.transpose()) + b_hh
    return np.tanh(a + b)
''',
    STEP_DEF + '''    z = np.einsum("bd,hd->bh", x, W_ih) + np.einsum("bk,hk->bh", h_prev, W_hh) + (b_ih + b_hh)
    return np.tanh(z)
''',
    STEP_DEF + '''    input_part = W_ih.dot(x.T).T
    hidden_part = W_hh.dot(h_prev.T).T
    return np.tanh(input_part + hidden_part + b_ih + b_hh)
''',
    '''def rnn_cell_step(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    bias = b_ih + b_hh
    activation = x @ W_ih.T + h_prev @ W_hh.T + bias
    h = np.tanh(activation)
    return h
''',
    STEP_DEF + '''    # h = tanh(W_ih x + b_ih + W_hh h + b_hh), for a whole batch at once
    return np.tanh((W_ih @ x.T + W_hh @ h_prev.T).T + b_ih + b_hh)
''',
    STEP_DEF + '''    e2x = np.exp(2 * (x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh))
    return 1 - 2 / (e2x + 1)  # tanh written out; stable for large |z|
''',
    STEP_DEF + '''    xh = np.concatenate([x, h_prev], axis=1)
    W = np.concatenate([W_ih, W_hh], axis=1)
    return np.tanh(xh @ W.T + b_ih + b_hh)
''',
    STEP_DEF + '''    out = np.zeros((x.shape[0], W_ih.shape[0]), dtype=np.result_type(x, W_ih))
    for i in range(x.shape[0]):
        out[i] = np.tanh(W_ih @ x[i] + b_ih + W_hh @ h_prev[i] + b_hh)
    return out
''',
    STEP_DEF + '''    s = np.add(np.add(x @ W_ih.T, b_ih), np.add(h_prev @ W_hh.T, b_hh))
    return np.tanh(s)
''',
    STEP_DEF + '''    from_input = np.inner(x, W_ih)
    from_state = np.inner(h_prev, W_hh)
    return np.tanh(from_input + from_state + b_ih + b_hh)
''',
    STEP_DEF + '''    z = x @ W_ih.T
    z += b_ih
    z = z + h_prev @ W_hh.T
    z += b_hh
    return np.tanh(z)
''',
    STEP_DEF + '''    new_h = np.tensordot(x, W_ih, axes=([1], [1])) + np.tensordot(h_prev, W_hh, axes=([1], [1]))
    return np.tanh(new_h + b_ih[None, :] + b_hh[None, :])
''',
    '''def _affine(v, W, b):
    return v @ W.T + b


''' + STEP_DEF + '''    return np.tanh(_affine(x, W_ih, b_ih) + _affine(h_prev, W_hh, b_hh))
''',
    STEP_DEF + '''    rows = [np.tanh(W_ih.dot(xi) + W_hh.dot(hi) + b_ih + b_hh) for xi, hi in zip(x, h_prev)]
    return np.array(rows).reshape(x.shape[0], W_hh.shape[0])
''',
    STEP_DEF + '''    summed = sum([x @ W_ih.T, h_prev @ W_hh.T, b_ih, b_hh])
    return np.tanh(summed)
''',
    STEP_DEF + '''    B, H = x.shape[0], W_hh.shape[0]
    pre = np.empty((B, H), dtype=np.result_type(x, h_prev, W_ih))
    np.matmul(x, W_ih.T, out=pre)
    pre += h_prev @ W_hh.T
    pre += b_ih + b_hh
    return np.tanh(pre)
''',
    STEP_DEF + '''    return np.tanh(x.dot(W_ih.T) + h_prev.dot(W_hh.T) + b_hh + b_ih)
''',
    STEP_DEF + '''    ih = (x[:, None, :] * W_ih[None, :, :]).sum(axis=-1)
    hh = (h_prev[:, None, :] * W_hh[None, :, :]).sum(axis=-1)
    return np.tanh(ih + hh + b_ih + b_hh)
''',
]

RNN_FORWARD = [
    FORWARD_DEF + '''    T = xs.shape[0]
    hs = np.zeros((T, h0.shape[0], h0.shape[1]), dtype=np.result_type(xs, h0, W_ih))
    h = h0
    for t in range(T):
        h = rnn_cell_step(xs[t], h, W_ih, W_hh, b_ih, b_hh)
        hs[t] = h
    return hs, h
''',
    FORWARD_DEF + '''    states = []
    state = h0
    for step in range(len(xs)):
        state = rnn_cell_step(xs[step], state, W_ih, W_hh, b_ih, b_hh)
        states.append(state)
    all_states = np.array(states)
    return all_states, all_states[-1]
''',
    '''def rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh):
    outputs = []
    hidden = h0.copy()
    for x_t in xs:
        hidden = rnn_cell_step(x_t, hidden, W_ih, W_hh, b_ih, b_hh)
        outputs += [hidden]
    return np.stack(outputs, axis=0), hidden
''',
    FORWARD_DEF + '''    weights = (W_ih, W_hh, b_ih, b_hh)
    h = h0
    collected = []
    t = 0
    while t < xs.shape[0]:
        h = rnn_cell_step(xs[t], h, *weights)
        collected.append(h[None])
        t += 1
    hs = np.concatenate(collected, axis=0)
    return hs, hs[-1]
''',
    FORWARD_DEF + '''    import functools
    step = functools.partial(lambda h, x: rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh))
    history = [h0]
    for x in xs:
        history.append(step(history[-1], x))
    return np.stack(history[1:]), history[-1]
''',
    FORWARD_DEF + '''    T, B, _ = xs.shape
    H = W_hh.shape[0]
    out = np.empty((T, B, H))
    prev = h0
    for i, x in enumerate(xs):
        out[i] = rnn_cell_step(x, prev, W_ih, W_hh, b_ih, b_hh)
        prev = out[i]
    return out, out[T - 1]
''',
    FORWARD_DEF + '''    def unroll(h, remaining):
        if len(remaining) == 0:
            return []
        nxt = rnn_cell_step(remaining[0], h, W_ih, W_hh, b_ih, b_hh)
        return [nxt] + unroll(nxt, remaining[1:])
    hs = np.stack(unroll(h0, xs))
    return hs, hs[-1]
''',
    FORWARD_DEF + '''    # the input projections do not depend on h: compute them for all steps at once
    projected = xs @ W_ih.T + b_ih
    h = h0
    hs = []
    for p in projected:
        h = np.tanh(p + h @ W_hh.T + b_hh)
        hs.append(h)
    return np.stack(hs), h
''',
    FORWARD_DEF + '''    h_list = []
    h_t = h0
    for t, x_t in enumerate(xs):
        h_t = rnn_cell_step(x=x_t, h_prev=h_t, W_ih=W_ih, W_hh=W_hh, b_ih=b_ih, b_hh=b_hh)
        h_list.insert(t, h_t)
    return np.asarray(h_list), h_t
''',
    FORWARD_DEF + '''    seq_len = xs.shape[0]
    hs = np.zeros(xs.shape[:2] + (W_ih.shape[0],), dtype=xs.dtype)
    for t in range(seq_len):
        before = h0 if t == 0 else hs[t - 1]
        hs[t] = rnn_cell_step(xs[t], before, W_ih, W_hh, b_ih, b_hh)
    return hs, hs[-1].copy()
''',
    '''def _run(xs, h, params):
    """Yield the state after each input."""
    for x in xs:
        h = rnn_cell_step(x, h, *params)
        yield h


''' + FORWARD_DEF + '''    hs = np.stack(list(_run(xs, h0, (W_ih, W_hh, b_ih, b_hh))))
    return hs, hs[-1]
''',
    FORWARD_DEF + '''    import itertools
    states = list(itertools.accumulate(xs, lambda h, x: rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh), initial=h0))
    return np.array(states[1:]), states[-1]
''',
    FORWARD_DEF + '''    trajectory = np.zeros((len(xs) + 1,) + h0.shape, dtype=np.result_type(xs, h0))
    trajectory[0] = h0
    for k in range(1, len(xs) + 1):
        trajectory[k] = rnn_cell_step(xs[k - 1], trajectory[k - 1], W_ih, W_hh, b_ih, b_hh)
    return trajectory[1:], trajectory[-1]
''',
    FORWARD_DEF + '''    current = h0
    all_h = None
    for x in xs:
        current = rnn_cell_step(x, current, W_ih, W_hh, b_ih, b_hh)
        all_h = current[np.newaxis] if all_h is None else np.vstack([all_h, current[np.newaxis]])
    return all_h, current
''',
    FORWARD_DEF + '''    hidden_states = [None] * xs.shape[0]
    h = h0
    for idx in range(xs.shape[0]):
        h = np.tanh(xs[idx] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        hidden_states[idx] = h
    return np.stack(hidden_states), h
''',
    FORWARD_DEF + '''    from functools import reduce

    def step(acc, x):
        h = rnn_cell_step(x, acc[-1], W_ih, W_hh, b_ih, b_hh)
        return acc + [h]

    hs = reduce(step, xs, [h0])[1:]
    return np.stack(hs), hs[-1]
''',
    FORWARD_DEF + '''    T = len(xs)
    result = []
    h_current = np.array(h0, copy=True)
    for t in range(T):
        h_current = rnn_cell_step(xs[t, :, :], h_current, W_ih, W_hh, b_ih, b_hh)
        result.append(h_current)
    stacked = np.stack(result, axis=0)
    assert stacked.shape == (T, h0.shape[0], W_hh.shape[0])
    return stacked, h_current
''',
    FORWARD_DEF + '''    h = h0
    seq = []
    for x_t in list(xs):
        h = rnn_cell_step(x_t, h, W_ih, W_hh, b_ih, b_hh)
        seq.append(h.copy())
    hs = np.array(seq)
    h_T = seq[-1]
    return hs, h_T
''',
    FORWARD_DEF + '''    n_steps, batch = xs.shape[0], xs.shape[1]
    hs = np.empty((n_steps, batch, h0.shape[-1]), dtype=np.float64 if xs.dtype == np.float64 else xs.dtype)
    hs[0] = rnn_cell_step(xs[0], h0, W_ih, W_hh, b_ih, b_hh)
    for t in range(1, n_steps):
        hs[t] = rnn_cell_step(xs[t], hs[t - 1], W_ih, W_hh, b_ih, b_hh)
    return hs, hs[n_steps - 1]
''',
    FORWARD_DEF + '''    out_states = np.zeros((xs.shape[0],) + h0.shape)
    h_now = h0
    for i in range(xs.shape[0]):
        h_next = rnn_cell_step(xs[i], h_now, W_ih, W_hh, b_ih, b_hh)
        out_states[i, :, :] = h_next
        h_now = h_next
    return out_states, h_now
''',
    FORWARD_DEF + '''    if xs.shape[0] == 1:
        h = rnn_cell_step(xs[0], h0, W_ih, W_hh, b_ih, b_hh)
        return h[np.newaxis, ...], h
    rest, h_last = rnn_forward(xs[:-1], h0, W_ih, W_hh, b_ih, b_hh)  # all but the last step, recursively
    h = rnn_cell_step(xs[-1], h_last, W_ih, W_hh, b_ih, b_hh)
    return np.concatenate([rest, h[np.newaxis, ...]], axis=0), h
''',
    FORWARD_DEF + '''    last = h0
    pieces = []
    for x in np.split(xs, xs.shape[0], axis=0):
        last = rnn_cell_step(x[0], last, W_ih, W_hh, b_ih, b_hh)
        pieces.append(last)
    return np.stack(pieces), last
''',
]

RNN_MODULE = [
    MODULE_HEAD + '''        k = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.rand(hidden_size, input_size) * 2 * k - k)
        self.weight_hh = nn.Parameter(torch.rand(hidden_size, hidden_size) * 2 * k - k)
        self.bias_ih = nn.Parameter(torch.rand(hidden_size) * 2 * k - k)
        self.bias_hh = nn.Parameter(torch.rand(hidden_size) * 2 * k - k)
''' + FORWARD_SIG + '''        batch, steps, _ = x.shape
        if h0 is None:
            h0 = torch.zeros(1, batch, self.hidden_size, dtype=x.dtype, device=x.device)
        h = h0.squeeze(0)
        states = []
        for t in range(steps):
            h = torch.tanh(x[:, t, :] @ self.weight_ih.t() + h @ self.weight_hh.t() + self.bias_ih + self.bias_hh)
            states.append(h)
        return torch.stack(states, 1), h.unsqueeze(0)
''',
    MODULE_HEAD + '''        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size))
        std = 1.0 / hidden_size ** 0.5
        for p in self.parameters():
            nn.init.uniform_(p, -std, std)
''' + FORWARD_SIG + '''        h = torch.zeros(x.size(0), self.hidden_size, dtype=x.dtype) if h0 is None else h0[0]
        outs = []
        for x_t in x.unbind(dim=1):
            h = torch.tanh(x_t @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)
            outs.append(h)
        output = torch.stack(outs, dim=1)
        return output, output[:, -1].unsqueeze(0)
''',
    MODULE_HEAD + '''        bound = 1 / np.sqrt(hidden_size)
        shapes = {"weight_ih": (hidden_size, input_size), "weight_hh": (hidden_size, hidden_size),
                  "bias_ih": (hidden_size,), "bias_hh": (hidden_size,)}
        for name, shape in shapes.items():
            setattr(self, name, nn.Parameter(torch.empty(*shape).uniform_(-bound, bound)))
''' + FORWARD_SIG + '''        B, T, D = x.shape
        state = x.new_zeros((B, self.hidden_size)) if h0 is None else h0.reshape(B, self.hidden_size)
        inputs = x @ self.weight_ih.T + self.bias_ih  # (B, T, H), all steps at once
        seq = []
        for t in range(T):
            state = torch.tanh(inputs[:, t] + state @ self.weight_hh.T + self.bias_hh)
            seq.append(state)
        return torch.stack(seq, dim=1), state[None]
''',
    '''import math


class RNN(nn.Module):
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.Tensor(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.Tensor(hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.Tensor(hidden_size))
        self.bias_hh = nn.Parameter(torch.Tensor(hidden_size))
        self.reset_parameters()

    def reset_parameters(self):
        limit = 1 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for weight in (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh):
                weight.uniform_(-limit, limit)

    def step(self, x_t, h):
        return torch.tanh(F.linear(x_t, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh))

    def forward(self, x, h0=None):
        h = h0[0] if h0 is not None else torch.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        output = []
        for t in range(x.shape[1]):
            h = self.step(x[:, t], h)
            output.append(h)
        return torch.stack(output, dim=1), h.unsqueeze(0)


import torch.nn.functional as F
''',
    MODULE_HEAD + '''        a = 1.0 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(nn.init.uniform_(torch.empty(hidden_size, input_size), -a, a))
        self.weight_hh = nn.Parameter(nn.init.uniform_(torch.empty(hidden_size, hidden_size), -a, a))
        self.bias_ih = nn.Parameter(nn.init.uniform_(torch.empty(hidden_size), -a, a))
        self.bias_hh = nn.Parameter(nn.init.uniform_(torch.empty(hidden_size), -a, a))
''' + FORWARD_SIG + '''        batch_size, seq_len = x.shape[0], x.shape[1]
        h_t = torch.zeros(batch_size, self.hidden_size).to(x) if h0 is None else h0.squeeze(0)
        output = torch.zeros(batch_size, seq_len, self.hidden_size, dtype=x.dtype)
        output = [None] * seq_len
        for t in range(seq_len):
            h_t = torch.tanh(torch.addmm(self.bias_ih, x[:, t], self.weight_ih.t())
                             + torch.addmm(self.bias_hh, h_t, self.weight_hh.t()))
            output[t] = h_t
        return torch.stack(output, dim=1), h_t.unsqueeze(0)
''',
    MODULE_HEAD + '''        s = 1 / hidden_size ** 0.5
        init = lambda *shape: nn.Parameter((torch.rand(*shape) - 0.5) * 2 * s)
        self.weight_ih, self.weight_hh = init(hidden_size, input_size), init(hidden_size, hidden_size)
        self.bias_ih, self.bias_hh = init(hidden_size), init(hidden_size)
''' + FORWARD_SIG + '''        if h0 is None:
            h0 = x.new_zeros(1, x.shape[0], self.hidden_size)
        hidden = h0[0]
        results = []
        for step in x.transpose(0, 1):  # time-major loop
            hidden = torch.tanh(torch.mm(step, self.weight_ih.t()) + self.bias_ih
                                + torch.mm(hidden, self.weight_hh.t()) + self.bias_hh)
            results.append(hidden)
        out = torch.stack(results).transpose(0, 1)
        return out, hidden.reshape(1, *hidden.shape)
''',
    MODULE_HEAD + '''        self.weight_ih = nn.Parameter(torch.zeros(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.zeros(hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.zeros(hidden_size))
        self.bias_hh = nn.Parameter(torch.zeros(hidden_size))
        r = hidden_size ** -0.5
        for param in [self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh]:
            nn.init.uniform_(param, a=-r, b=r)
''' + FORWARD_SIG + '''        B, T = x.shape[:2]
        h = torch.zeros(B, self.hidden_size, dtype=x.dtype, device=x.device) if h0 is None else h0[-1]
        out = []
        t = 0
        while t < T:
            a = x[:, t].matmul(self.weight_ih.T) + h.matmul(self.weight_hh.T)
            h = (a + self.bias_ih + self.bias_hh).tanh()
            out.append(h.unsqueeze(1))
            t += 1
        output = torch.cat(out, dim=1)
        return output, output[:, -1:].transpose(0, 1)
''',
    MODULE_HEAD + '''        self._init_weights(input_size, hidden_size)

    def _init_weights(self, d, h):
        bound = 1.0 / math.sqrt(h)
        def uniform(*size):
            return nn.Parameter(torch.empty(size).uniform_(-bound, bound))
        self.weight_ih = uniform(h, d)
        self.weight_hh = uniform(h, h)
        self.bias_ih = uniform(h)
        self.bias_hh = uniform(h)
''' + FORWARD_SIG + '''        n = x.shape[0]
        h = h0.view(n, -1) if h0 is not None else torch.zeros(n, self.hidden_size, dtype=x.dtype)
        collected = []
        for t in range(x.shape[1]):
            h = torch.tanh(torch.matmul(x[:, t, :], self.weight_ih.transpose(0, 1))
                           + torch.matmul(h, self.weight_hh.transpose(0, 1)) + self.bias_ih + self.bias_hh)
            collected.append(h)
        return torch.stack(collected, dim=1), torch.stack([h])


import math
''',
    MODULE_HEAD + '''        lim = 1 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.distributions.Uniform(-lim, lim).sample((hidden_size, input_size)))
        self.weight_hh = nn.Parameter(torch.distributions.Uniform(-lim, lim).sample((hidden_size, hidden_size)))
        self.bias_ih = nn.Parameter(torch.distributions.Uniform(-lim, lim).sample((hidden_size,)))
        self.bias_hh = nn.Parameter(torch.distributions.Uniform(-lim, lim).sample((hidden_size,)))
''' + FORWARD_SIG + '''        hid = h0[0] if h0 is not None else torch.zeros(len(x), self.hidden_size, dtype=x.dtype)
        per_step = []
        for xt in torch.split(x, 1, dim=1):
            hid = torch.tanh(xt.squeeze(1) @ self.weight_ih.T + hid @ self.weight_hh.T + self.bias_ih + self.bias_hh)
            per_step.append(hid)
        return torch.stack(per_step, dim=1), hid.unsqueeze(dim=0)
''',
    MODULE_HEAD + '''        scale = 1 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(scale * (2 * torch.rand(hidden_size, input_size) - 1))
        self.weight_hh = nn.Parameter(scale * (2 * torch.rand(hidden_size, hidden_size) - 1))
        self.bias_ih = nn.Parameter(scale * (2 * torch.rand(hidden_size) - 1))
        self.bias_hh = nn.Parameter(scale * (2 * torch.rand(hidden_size) - 1))
''' + FORWARD_SIG + '''        B, T, _ = x.size()
        h = h0.squeeze(0) if h0 is not None else x.new_zeros(B, self.hidden_size)
        out = x.new_empty(B, T, self.hidden_size)
        outs = []
        for t in range(T):
            h = torch.tanh(torch.einsum("bd,hd->bh", x[:, t], self.weight_ih)
                           + torch.einsum("bk,hk->bh", h, self.weight_hh) + self.bias_ih + self.bias_hh)
            outs.append(h)
        out = torch.stack(outs, 1)
        return out, h[None, :, :]
''',
    MODULE_HEAD + '''        b = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.FloatTensor(hidden_size, input_size).uniform_(-b, b))
        self.weight_hh = nn.Parameter(torch.FloatTensor(hidden_size, hidden_size).uniform_(-b, b))
        self.bias_ih = nn.Parameter(torch.FloatTensor(hidden_size).uniform_(-b, b))
        self.bias_hh = nn.Parameter(torch.FloatTensor(hidden_size).uniform_(-b, b))

    def cell(self, x_t: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x_t @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)
''' + FORWARD_SIG + '''        h = torch.zeros(x.shape[0], self.hidden_size, dtype=x.dtype) if h0 is None else h0[0]
        hs = []
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)
            hs.append(h)
        return torch.stack(hs, dim=1), torch.unsqueeze(h, 0)
''',
    MODULE_HEAD + '''        std = 1 / math.sqrt(hidden_size)
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size))
        for name, w in self.named_parameters():
            nn.init.uniform_(w, -std, std)
''' + FORWARD_SIG + '''        B, T, _ = x.shape
        h = x.new_zeros(B, self.hidden_size) if h0 is None else h0[0]
        xw = torch.matmul(x, self.weight_ih.T)  # (B, T, H)
        states = []
        for t in range(T):
            h = torch.tanh(xw[:, t] + self.bias_ih + torch.matmul(h, self.weight_hh.T) + self.bias_hh)
            states += [h]
        outputs = torch.stack(states, dim=1)
        return outputs, h.unsqueeze(0)


import math
''',
    MODULE_HEAD + '''        k = math.sqrt(1 / hidden_size)
        make = lambda rows, cols=None: nn.Parameter(
            torch.empty(rows, cols).uniform_(-k, k) if cols else torch.empty(rows).uniform_(-k, k))
        self.weight_ih = make(hidden_size, input_size)
        self.weight_hh = make(hidden_size, hidden_size)
        self.bias_ih = make(hidden_size)
        self.bias_hh = make(hidden_size)
''' + FORWARD_SIG + '''        steps = []
        h = torch.zeros(x.size(0), self.hidden_size, dtype=x.dtype) if h0 is None else h0.squeeze(0)
        for t in range(x.size(1)):
            pre = F.linear(x[:, t], self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh)
            h = torch.tanh(pre + self.bias_hh)
            steps.append(h)
        return torch.stack(steps, dim=1), h.unsqueeze(0)


import math
import torch.nn.functional as F
''',
    MODULE_HEAD + '''        bound = 1 / hidden_size ** 0.5
        w = torch.empty(hidden_size, input_size + hidden_size).uniform_(-bound, bound)
        self.weight_ih = nn.Parameter(w[:, :input_size].clone())
        self.weight_hh = nn.Parameter(w[:, input_size:].clone())
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-bound, bound))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-bound, bound))
''' + FORWARD_SIG + '''        if h0 is None:
            h0 = torch.zeros(1, x.shape[0], self.hidden_size, dtype=x.dtype)
        W = torch.cat([self.weight_ih, self.weight_hh], dim=1)  # (H, D + H)
        bias = self.bias_ih + self.bias_hh
        h = h0[0]
        result = []
        for t in range(x.shape[1]):
            h = torch.tanh(torch.cat([x[:, t], h], dim=1) @ W.T + bias)
            result.append(h)
        return torch.stack(result, dim=1), h.unsqueeze(0)
''',
    MODULE_HEAD + '''        u = 1.0 / (hidden_size ** 0.5)
        self.weight_ih = nn.Parameter(torch.empty((hidden_size, input_size)))
        self.weight_hh = nn.Parameter(torch.empty((hidden_size, hidden_size)))
        self.bias_ih = nn.Parameter(torch.empty((hidden_size,)))
        self.bias_hh = nn.Parameter(torch.empty((hidden_size,)))
        with torch.no_grad():
            self.weight_ih.copy_(torch.rand_like(self.weight_ih) * 2 * u - u)
            self.weight_hh.copy_(torch.rand_like(self.weight_hh) * 2 * u - u)
            self.bias_ih.copy_(torch.rand_like(self.bias_ih) * 2 * u - u)
            self.bias_hh.copy_(torch.rand_like(self.bias_hh) * 2 * u - u)
''' + FORWARD_SIG + '''        batch = x.shape[0]
        state = torch.zeros((batch, self.hidden_size), dtype=x.dtype) if h0 is None else h0[0]
        history = []
        for i in range(x.shape[1]):
            z = x[:, i, :].mm(self.weight_ih.t()).add(self.bias_ih).add(state.mm(self.weight_hh.t())).add(self.bias_hh)
            state = z.tanh()
            history.append(state)
        return torch.stack(history, dim=1), state.unsqueeze(0)
''',
    MODULE_HEAD + '''        r = 1 / hidden_size ** 0.5
        params = {}
        params["weight_ih"] = torch.empty(hidden_size, input_size)
        params["weight_hh"] = torch.empty(hidden_size, hidden_size)
        params["bias_ih"] = torch.empty(hidden_size)
        params["bias_hh"] = torch.empty(hidden_size)
        for key, value in params.items():
            self.register_parameter(key, nn.Parameter(value.uniform_(-r, r)))
''' + FORWARD_SIG + '''        h_prev = torch.zeros(x.shape[0], self.hidden_size, dtype=x.dtype) if h0 is None else h0[0]
        all_h = []
        for t in range(x.shape[1]):
            h_prev = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h_prev @ self.weight_hh.T + self.bias_hh)
            all_h.append(h_prev)
        return torch.stack(all_h, 1), h_prev.unsqueeze(0)
''',
    MODULE_HEAD + '''        low, high = -1 / hidden_size ** 0.5, 1 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(low, high))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(low, high))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(low, high))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(low, high))
''' + FORWARD_SIG + '''        def run(x_seq, h):
            for x_t in x_seq:
                h = torch.tanh(x_t @ self.weight_ih.T + h @ self.weight_hh.T + (self.bias_ih + self.bias_hh))
                yield h
        start = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        output = torch.stack(list(run(x.permute(1, 0, 2), start)), dim=1)
        return output, output[:, -1][None]
''',
    MODULE_HEAD + '''        sd = 1.0 / math.sqrt(hidden_size)
        self.weight_ih, self.weight_hh = (nn.Parameter(torch.empty(hidden_size, n).uniform_(-sd, sd))
                                          for n in (input_size, hidden_size))
        self.bias_ih, self.bias_hh = (nn.Parameter(torch.empty(hidden_size).uniform_(-sd, sd)) for _ in range(2))
''' + FORWARD_SIG + '''        h = (torch.zeros(x.shape[0], self.hidden_size, dtype=x.dtype) if h0 is None else h0[0])
        out = []
        for t in range(x.shape[1]):
            h = torch.tanh(torch.nn.functional.linear(x[:, t], self.weight_ih, self.bias_ih)
                           + torch.nn.functional.linear(h, self.weight_hh, self.bias_hh))
            out.append(h)
        out = torch.stack(out, dim=1)
        return out, out[:, -1, :].unsqueeze(0).contiguous()


import math
''',
    MODULE_HEAD + '''        a = hidden_size ** -0.5
        self.weight_ih = nn.Parameter(torch.linspace(-1, 1, hidden_size * input_size).view(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size))
        nn.init.uniform_(self.weight_ih, -a, a)
        nn.init.uniform_(self.weight_hh, -a, a)
        nn.init.uniform_(self.bias_ih, -a, a)
        nn.init.uniform_(self.bias_hh, -a, a)
''' + FORWARD_SIG + '''        B, T, _ = x.shape
        if h0 is not None:
            h = h0.reshape(B, self.hidden_size)
        else:
            h = torch.zeros(B, self.hidden_size, dtype=x.dtype)
        ys = []
        for t in range(T):
            ih = torch.matmul(x[:, t, :], self.weight_ih.t()) + self.bias_ih
            hh = torch.matmul(h, self.weight_hh.t()) + self.bias_hh
            h = torch.tanh(ih + hh)
            ys.append(h.unsqueeze(1))
        return torch.cat(ys, dim=1), h.unsqueeze(0)
''',
    MODULE_HEAD + '''        bnd = 1 / math.sqrt(hidden_size)
        self.weight_ih = nn.Parameter(bnd * (torch.rand(hidden_size, input_size) * 2 - 1))
        self.weight_hh = nn.Parameter(bnd * (torch.rand(hidden_size, hidden_size) * 2 - 1))
        self.bias_ih = nn.Parameter(bnd * (torch.rand(hidden_size) * 2 - 1))
        self.bias_hh = nn.Parameter(bnd * (torch.rand(hidden_size) * 2 - 1))
''' + FORWARD_SIG + '''        T = x.shape[1]
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0.select(0, 0)
        frames = []
        for t in range(T):
            x_t = x.select(1, t)
            h = torch.tanh(torch.addmm(self.bias_ih + self.bias_hh, x_t, self.weight_ih.T) + h @ self.weight_hh.T)
            frames.append(h)
        return torch.stack(frames, dim=1), torch.stack(frames[-1:], dim=0)


import math
''',
]

CLIP_GRAD_NORM = [
    CLIP_DEF + '''    grads = [p.grad for p in parameters if p.grad is not None]
    norm = torch.sqrt(sum(torch.sum(g * g) for g in grads))
    factor = max_norm / (norm + 1e-6)
    if factor < 1:
        for g in grads:
            g *= factor
    return norm
''',
    CLIP_DEF + '''    parameters = list(parameters)  # may be a generator: walked twice below
    squares = 0.0
    for p in parameters:
        if p.grad is not None:
            squares += p.grad.pow(2).sum().item()
    total = squares ** 0.5
    clip = min(1.0, max_norm / (total + 1e-6))
    for p in parameters:
        if p.grad is not None:
            p.grad.mul_(clip)
    return torch.tensor(total)
''',
    CLIP_DEF + '''    with_grad = [p for p in parameters if p.grad is not None]
    flat = torch.cat([p.grad.flatten() for p in with_grad])
    total_norm = flat.norm()
    coef = torch.clamp(max_norm / (total_norm + 1e-6), max=1.0)
    for p in with_grad:
        p.grad.detach().mul_(coef)
    return total_norm
''',
    '''def clip_grad_norm(parameters, max_norm):
    gs = [param.grad for param in parameters if param.grad is not None]
    norms = torch.stack([g.norm(2) for g in gs])
    global_norm = norms.norm(2)
    if global_norm > max_norm:
        for g in gs:
            g.mul_(max_norm / (global_norm + 1e-6))
    return global_norm
''',
    '''def global_norm(grads):
    """L2 norm of all gradients as if they were one vector."""
    return torch.sqrt(sum((g.double() ** 2).sum() for g in grads)).float()


''' + CLIP_DEF + '''    grads = [p.grad for p in parameters if p.grad is not None]
    before = global_norm(grads)
    ratio = max_norm / (before.item() + 1e-6)
    if ratio < 1.0:
        for g in grads:
            g.mul_(ratio)
    return before
''',
    CLIP_DEF + '''    params = [*parameters]
    total = torch.zeros(())
    for param in params:
        if param.grad is None:
            continue
        total = total + (param.grad ** 2).sum()
    total = total.sqrt()
    scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for param in params:
        if param.grad is not None:
            param.grad.mul_(scale)
    return total
''',
    CLIP_DEF + '''    import math
    present = list(filter(lambda p: p.grad is not None, parameters))
    sq = math.fsum(float((p.grad * p.grad).sum()) for p in present)
    n = math.sqrt(sq)
    s = min(1.0, max_norm / (n + 1e-6))
    for p in present:
        p.grad.copy_(p.grad * s)
    return torch.tensor(n)
''',
    CLIP_DEF + '''    g = [p.grad for p in parameters if p.grad is not None]
    total = torch.linalg.norm(torch.cat([x.reshape(-1) for x in g]))
    if total + 1e-6 > max_norm:
        k = max_norm / (total + 1e-6)
        for x in g:
            x.mul_(k)
    return total
''',
    CLIP_DEF + '''    norm_sq = torch.tensor(0.0)
    grads = []
    for p in parameters:
        if p.grad is not None:
            grads.append(p.grad)
            norm_sq += torch.dot(p.grad.view(-1), p.grad.view(-1))
    norm = torch.sqrt(norm_sq)
    multiplier = min(1.0, float(max_norm / (norm + 1e-6)))
    for grad in grads:
        grad.data *= multiplier
    return norm
''',
    CLIP_DEF + '''    grads = [p.grad for p in parameters if p.grad is not None]
    total = torch.norm(torch.stack([torch.norm(g) for g in grads]))
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        torch._foreach_mul_(grads, scale.item())
    return total
''',
    CLIP_DEF + '''    active = [p for p in parameters if p.grad is not None]
    length = sum(p.grad.square().sum() for p in active) ** 0.5
    shrink = 1.0 if length <= max_norm else max_norm / (length + 1e-6)
    for p in active:
        p.grad.mul_(shrink)
    return torch.as_tensor(length)
''',
    CLIP_DEF + '''    import numpy as np
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = float(np.sqrt(sum(np.sum(g.detach().numpy().astype(np.float64) ** 2) for g in grads)))
    factor = min(1.0, max_norm / (norm + 1e-6))
    for g in grads:
        g.mul_(factor)
    return torch.tensor(norm, dtype=grads[0].dtype)
''',
    CLIP_DEF + '''    eps = 1e-6
    params = [p for p in parameters if p.grad is not None]
    sum_sq = 0
    for p in params:
        sum_sq = sum_sq + p.grad.norm() ** 2
    norm_before = sum_sq.sqrt()
    c = torch.minimum(torch.tensor(1.0), max_norm / (norm_before + eps))
    for p in params:
        p.grad.mul_(c)
    return norm_before
''',
    CLIP_DEF + '''    def grads(params):
        return [p.grad for p in params if p.grad is not None]

    gs = grads(parameters)
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in gs]))
    scale = min(1.0, (max_norm / (total + 1e-6)).item())
    for g in gs:
        g.mul_(scale)
    return total
''',
    CLIP_DEF + '''    gradients = []
    for p in parameters:
        if p.grad is not None:
            gradients.append(p.grad)
    total_norm = torch.tensor(0.0)
    for grad in gradients:
        total_norm += grad.norm().pow(2)
    total_norm = total_norm.pow(0.5)
    if total_norm > max_norm:
        coefficient = max_norm / (total_norm + 1e-6)
        for grad in gradients:
            grad.mul_(coefficient)
    return total_norm
''',
    CLIP_DEF + '''    grads = [p.grad for p in parameters if p.grad is not None]
    norm = torch.cat([g.view(-1) for g in grads]).pow(2).sum().sqrt()
    for g in grads:
        g.mul_(torch.clamp(max_norm / (norm + 1e-6), max=1))
    return norm
''',
    CLIP_DEF + '''    parameters = tuple(parameters)
    i = 0
    acc = torch.zeros([])
    while i < len(parameters):
        if parameters[i].grad is not None:
            acc = acc + torch.sum(parameters[i].grad ** 2)
        i += 1
    n = torch.sqrt(acc)
    s = max_norm / (n + 1e-6)
    if s < 1:
        for j in range(len(parameters)):
            if parameters[j].grad is not None:
                parameters[j].grad.mul_(s)
    return n
''',
    CLIP_DEF + '''    grads = [p.grad for p in parameters if p.grad is not None]
    vec = torch.nn.utils.parameters_to_vector(grads)
    total = vec.norm()
    k = min(1.0, max_norm / (float(total) + 1e-6))
    for g in grads:
        g.mul_(k)
    return total
''',
    '''def _scale_grads(params, factor):
    for p in params:
        if p.grad is not None:
            p.grad.mul_(factor)


''' + CLIP_DEF + '''    parameters = list(parameters)
    norm = torch.stack([(p.grad ** 2).sum() for p in parameters if p.grad is not None]).sum().sqrt()
    _scale_grads(parameters, min(1.0, max_norm / (norm.item() + 1e-6)))
    return norm
''',
    CLIP_DEF + '''    with_grads = [p for p in parameters if p.grad is not None]
    sum_of_squares = torch.tensor(0.0)
    for p in with_grads:
        sum_of_squares = sum_of_squares + torch.einsum("...,...->", p.grad, p.grad)
    norm = sum_of_squares.sqrt()
    ratio = torch.where(norm > max_norm, max_norm / (norm + 1e-6), torch.ones(()))
    for p in with_grads:
        p.grad.mul_(ratio)
    return norm
''',
    CLIP_DEF + '''    grads = {id(p): p.grad for p in parameters if p.grad is not None}
    squared = sum(float(g.pow(2).sum()) for g in grads.values())
    norm = torch.tensor(squared).sqrt()
    if norm.item() > max_norm:
        f = max_norm / (norm.item() + 1e-6)
        for g in grads.values():
            g.mul_(f)
    return norm
''',
]

CORPUS: dict[str, list[str]] = {
    "build_vocab": BUILD_VOCAB, "encode": ENCODE, "rnn_cell_step": RNN_CELL_STEP, "rnn_forward": RNN_FORWARD,
    "rnn_module": RNN_MODULE, "clip_grad_norm": CLIP_GRAD_NORM,
}
