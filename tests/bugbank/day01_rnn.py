"""Wrong answers for Day 01 (vanilla RNN)."""
from __future__ import annotations

from bugbank import Bank

CELL = '    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)'
STEP = '        h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)'
INIT = ('        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-bound, bound))\n'
        '        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-bound, bound))\n'
        '        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-bound, bound))\n'
        '        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-bound, bound))')
H0 = '        h = x.new_zeros(B, self.hidden_size) if h0 is None else h0[0]  # (B, H)'
IDS = '    ids = [stoi[BOS]] + [stoi.get(ch, stoi[UNK]) for ch in text] + [stoi[EOS]]'
SORT = '    kept.sort(key=lambda ch: (-counts[ch], ch))'
KEPT = '    kept = [ch for ch, n in counts.items() if n >= min_count and ch not in SPECIALS]'
COUNTS = '    counts = Counter(ch for text in texts for ch in text)'
GRADS = '    grads = [p.grad for p in parameters if p.grad is not None]  # one pass: a generator is read once'
TOTAL = '    total = torch.sqrt(sum((g ** 2).sum() for g in grads))'
SCALE = '    scale = min(1.0, max_norm / (total.item() + 1e-6))'
LOOP = ('    for g in grads:\n'
        '        g.mul_(scale)')

BUGS: Bank = {
    'build_vocab': [
        ('special tokens sorted alphabetically', [
            ('    return list(SPECIALS) + kept',
             '    return sorted(SPECIALS) + kept'),
        ]),
        ('least frequent first', [
            (SORT, '    kept.sort(key=lambda ch: (counts[ch], ch))'),
        ]),
        ('no special tokens', [
            ('    return list(SPECIALS) + kept',
             '    return kept'),
        ]),
        ('alphabetical order instead of frequency', [
            (SORT, '    kept.sort()'),
        ]),
        ('min_count ignored', [
            (KEPT, '    kept = [ch for ch, n in counts.items() if ch not in SPECIALS]'),
        ]),
        ('ties broken by first appearance (stable sort on the count alone)', [
            (SORT, '    kept.sort(key=lambda ch: -counts[ch])'),
        ]),
        ('Counter.most_common() order (ties by first appearance)', [
            (KEPT, '    kept = [ch for ch, n in counts.most_common() if n >= min_count and ch not in SPECIALS]'),
            (SORT + '\n', ''),
        ]),
        ('ties in reverse alphabetical order (one reverse=True for both keys)', [
            (SORT, '    kept.sort(key=lambda ch: (counts[ch], ch), reverse=True)'),
        ]),
        ('counts texts, not occurrences', [
            (COUNTS, '    counts = Counter(ch for text in texts for ch in set(text))'),
        ]),
        ('min_count compared with > instead of >=', [
            (KEPT, '    kept = [ch for ch, n in counts.items() if n > min_count and ch not in SPECIALS]'),
        ]),
        ('min_count checked within each text, not over all texts', [
            (KEPT, '    kept = [ch for ch in counts if any(text.count(ch) >= min_count for text in texts)]'),
        ]),
        # caught only by the hidden tests: the names are all lower case
        ('texts lower-cased before counting', [
            (COUNTS, '    counts = Counter(ch for text in texts for ch in text.lower())'),
        ]),
        ('ties compared case-insensitively', [
            (SORT, '    kept.sort(key=lambda ch: (-counts[ch], ch.lower()))'),
        ]),
        ('counters merged with functools.reduce: no texts at all raises TypeError', [
            (COUNTS, '    import functools\n    counts = functools.reduce(lambda a, b: a + b, map(Counter, texts))'),
        ]),
    ],
    'encode': [
        ('int32 tensor', [
            ('    return torch.tensor(ids, dtype=torch.long)',
             '    return torch.tensor(ids, dtype=torch.int32)'),
        ]),
        ('a batch of one: shape (1, len(text) + 2)', [
            ('    return torch.tensor(ids, dtype=torch.long)',
             '    return torch.tensor([ids], dtype=torch.long)'),
        ]),
        ('no <bos>/<eos>', [
            (IDS, '    ids = [stoi.get(ch, stoi[UNK]) for ch in text]'),
        ]),
        ('special ids hard-coded as 1, 2, 3', [
            (IDS, '    ids = [2] + [stoi.get(ch, 1) for ch in text] + [3]'),
        ]),
        ('unknown characters crash (KeyError)', [
            (IDS, '    ids = [stoi[BOS]] + [stoi[ch] for ch in text] + [stoi[EOS]]'),
        ]),
        ('unknown characters silently dropped', [
            (IDS, '    ids = [stoi[BOS]] + [stoi[ch] for ch in text if ch in stoi] + [stoi[EOS]]'),
        ]),
        ('float tensor', [
            ('    return torch.tensor(ids, dtype=torch.long)',
             '    return torch.tensor(ids, dtype=torch.float32)'),
        ]),
        ('<eos> first and <bos> last', [
            (IDS, '    ids = [stoi[EOS]] + [stoi.get(ch, stoi[UNK]) for ch in text] + [stoi[BOS]]'),
        ]),
        ('returns the list of ids, not a tensor', [
            ('    return torch.tensor(ids, dtype=torch.long)',
             '    return ids'),
        ]),
        ('only <unk> hard-coded as 1', [
            (IDS, '    ids = [stoi[BOS]] + [stoi.get(ch, 1) for ch in text] + [stoi[EOS]]'),
        ]),
        # caught only by the hidden tests: the visible stoi has no character at id 0
        ('`stoi.get(ch) or unk`: a character with id 0 becomes <unk>', [
            (IDS, '    ids = [stoi[BOS]] + [stoi.get(ch) or stoi[UNK] for ch in text] + [stoi[EOS]]'),
        ]),
        ('unknown characters added to the caller\'s stoi', [
            (IDS, '    ids = [stoi[BOS]]\n'
                  '    for ch in text:\n'
                  '        if ch not in stoi:\n'
                  '            stoi[ch] = stoi[UNK]\n'
                  '        ids.append(stoi[ch])\n'
                  '    ids.append(stoi[EOS])'),
        ]),
    ],
    'rnn_cell_step': [
        ('W_hh not transposed', [
            (CELL, '    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh + b_hh)'),
        ]),
        ('b_hh forgotten', [
            (CELL, '    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T)'),
        ]),
        ('sigmoid instead of tanh', [
            (CELL, '    return 1 / (1 + np.exp(-(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)))'),
        ]),
        ('tanh applied before adding the recurrent term', [
            (CELL, '    return np.tanh(x @ W_ih.T + b_ih) + h_prev @ W_hh.T + b_hh'),
        ]),
        ('biases added after the tanh', [
            (CELL, '    return np.tanh(x @ W_ih.T + h_prev @ W_hh.T) + b_ih + b_hh'),
        ]),
        ('weights on the left, result left as (H, B)', [
            (CELL, '    return np.tanh(W_ih @ x.T + b_ih[:, None] + W_hh @ h_prev.T + b_hh[:, None])'),
        ]),
        ('ReLU instead of tanh', [
            (CELL, '    return np.maximum(0, x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)'),
        ]),
        # caught only by the hidden tests: the visible values agree to float32 precision
        ('computed in float32', [
            (CELL, '    f = np.float32\n'
                   '    return np.tanh(x.astype(f) @ W_ih.T.astype(f) + b_ih.astype(f) + h_prev.astype(f) @ W_hh.T.astype(f) + b_hh.astype(f))'),
        ]),
        ('new state written into h_prev (the caller\'s array changes)', [
            (CELL, '    h_prev[...] = np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)\n    return h_prev'),
        ]),
    ],
    'rnn_forward': [
        ('hs returned as a list of arrays', [
            ('    return np.stack(hs), h  # (T, B, H), (B, H)',
             '    return hs, h'),
        ]),
        ('h0 fed to every step (state never carried)', [
            ('        h = rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh)  # (B, H)',
             '        h = rnn_cell_step(x, h0, W_ih, W_hh, b_ih, b_hh)  # (B, H)'),
        ]),
        ('hs includes h0 and misses the last state', [
            ('        hs.append(h)\n',
             ''),
            ('        h = rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh)  # (B, H)',
             '        hs.append(h)\n'
             '        h = rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh)  # (B, H)'),
        ]),
        ('returns h0 as the final state', [
            ('    return np.stack(hs), h  # (T, B, H), (B, H)',
             '    return np.stack(hs), h0'),
        ]),
        ('sequence read backwards', [
            ('    return np.stack(hs), h  # (T, B, H), (B, H)',
             '    return np.stack(hs[::-1]), h'),
            ('    for x in xs:',
             '    for x in xs[::-1]:'),
        ]),
        ('the given h0 ignored: starts from zeros', [
            ('    h, hs = h0, []',
             '    h, hs = np.zeros_like(h0), []'),
        ]),
        ('states stacked along the batch axis', [
            ('    return np.stack(hs), h  # (T, B, H), (B, H)',
             '    return np.stack(hs, axis=1), h'),
        ]),
        ('one state array updated in place: every entry of hs is the last state', [
            ('    h, hs = h0, []',
             '    h, hs = h0.copy(), []'),
            ('        h = rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh)  # (B, H)',
             '        h[:] = rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh)  # (B, H)'),
        ]),
        ('last time step skipped', [
            ('    for x in xs:',
             '    for x in xs[:-1]:'),
        ]),
        # caught only by the hidden tests: float32 storage agrees with the visible checks' tolerance
        ('states stored in a float32 array', [
            ('    h, hs = h0, []\n'
             '    for x in xs:\n'
             '        h = rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh)  # (B, H)\n'
             '        hs.append(h)\n'
             '    return np.stack(hs), h  # (T, B, H), (B, H)',
             '    T, B, _ = xs.shape\n'
             '    hs = np.zeros((T, B, h0.shape[1]), dtype=np.float32)\n'
             '    h = h0\n'
             '    for t in range(T):\n'
             '        h = rnn_cell_step(xs[t], h, W_ih, W_hh, b_ih, b_hh)\n'
             '        hs[t] = h\n'
             '    return hs, h'),
        ]),
        ('the caller\'s h0 overwritten in place (copies stored)', '''
def rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh):
    h = h0
    hs = []
    for x in xs:
        h[...] = rnn_cell_step(x, h, W_ih, W_hh, b_ih, b_hh)
        hs.append(h.copy())
    return np.stack(hs), h.copy()
'''),
    ],
    'rnn_module': [
        ('init bound from input_size instead of hidden_size', [
            ('        bound = 1.0 / hidden_size ** 0.5',
             '        bound = 1.0 / input_size ** 0.5'),
        ]),
        ('bias_hh never used', [
            (STEP, STEP.replace(' + self.bias_hh)', ')')),
        ]),
        ('h_n is the first state, not the last', [
            ('        return torch.stack(outputs, dim=1), h.unsqueeze(0)  # (B, T, H), (1, B, H)',
             '        return torch.stack(outputs, dim=1), outputs[0].unsqueeze(0)'),
        ]),
        ('hidden state detached every step (truncated BPTT by accident)', [
            (STEP, STEP.replace(' h @ self.weight_hh.T', ' h.detach() @ self.weight_hh.T')),
        ]),
        ('h0 ignored', [
            (H0, '        h = x.new_zeros(B, self.hidden_size)  # (B, H)'),
        ]),
        ('h0 used with its layer axis (1, B, H)', [
            (H0, '        h = x.new_zeros(B, self.hidden_size) if h0 is None else h0  # (B, H)'),
        ]),
        # whole answer: delegates to nn.RNN, a different structure (caught only by the hidden tests)
        ('delegates to nn.RNN', '''
class RNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self._rnn = nn.RNN(input_size, hidden_size, batch_first=True)
        self.weight_ih, self.weight_hh = self._rnn.weight_ih_l0, self._rnn.weight_hh_l0
        self.bias_ih, self.bias_hh = self._rnn.bias_ih_l0, self._rnn.bias_hh_l0

    def forward(self, x, h0=None):
        return self._rnn(x, h0)
'''),
        ('weights drawn from N(0, 1)', [
            (INIT, '        self.weight_ih = nn.Parameter(torch.randn(hidden_size, input_size))\n'
                   '        self.weight_hh = nn.Parameter(torch.randn(hidden_size, hidden_size))\n'
                   '        self.bias_ih = nn.Parameter(torch.randn(hidden_size))\n'
                   '        self.bias_hh = nn.Parameter(torch.randn(hidden_size))'),
        ]),
        ('biases initialised to zero', [
            (INIT, '\n'.join(INIT.split('\n')[:2]) + '\n'
                   '        self.bias_ih = nn.Parameter(torch.zeros(hidden_size))\n'
                   '        self.bias_hh = nn.Parameter(torch.zeros(hidden_size))'),
        ]),
        ('outputs stacked time-first', [
            ('        return torch.stack(outputs, dim=1), h.unsqueeze(0)  # (B, T, H), (1, B, H)',
             '        return torch.stack(outputs), h.unsqueeze(0)  # (T, B, H), (1, B, H)'),
        ]),
        ('h_n without the layer axis', [
            ('        return torch.stack(outputs, dim=1), h.unsqueeze(0)  # (B, T, H), (1, B, H)',
             '        return torch.stack(outputs, dim=1), h  # (B, T, H), (B, H)'),
        ]),
        ('W_hh not transposed', [
            (STEP, STEP.replace('h @ self.weight_hh.T', 'h @ self.weight_hh')),
        ]),
        # caught only by the hidden tests: the visible checks run in float32
        ('zero state made in the default dtype (float32 even for a float64 model)', [
            (H0, '        h = torch.zeros(B, self.hidden_size) if h0 is None else h0[0]  # (B, H)'),
        ]),
    ],
    'clip_grad_norm': [
        # whole answer: clips every value to [-max_norm, max_norm] (what clip_grad_value_ does)
        ('clips values instead of the norm', '''
def clip_grad_norm(parameters, max_norm):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
    for g in grads:
        g.clamp_(-max_norm, max_norm)
    return total
'''),
        # whole answer: a different algorithm: one norm and one scale per parameter
        ('each parameter clipped separately', '''
def clip_grad_norm(parameters, max_norm):
    norms = []
    for p in parameters:
        if p.grad is not None:
            n = p.grad.norm()
            norms.append(n)
            if n > max_norm:
                p.grad.mul_(max_norm / (n + 1e-6))
    return torch.sqrt(sum(n ** 2 for n in norms))
'''),
        ('each parameter scaled to max_norm by its own norm, even when below it', [
            (TOTAL + '\n' + SCALE + '\n' + LOOP,
             TOTAL + '\n'
             '    for g in grads:\n'
             '        g.mul_(max_norm / (g.norm() + 1e-6))'),
        ]),
        ('small gradients scaled up too', [
            (SCALE, '    scale = max_norm / (total.item() + 1e-6)'),
        ]),
        ('returns the norm after clipping', [
            ('    return total',
             '    return total * scale'),
        ]),
        ('not in place: gradients left unchanged', [
            (LOOP, '    grads = [g * scale for g in grads]'),
        ]),
        ('crashes on parameters without a gradient', [
            (GRADS, '    grads = [p.grad for p in parameters]'),
        ]),
        ('sum of norms instead of the global norm', [
            (TOTAL, '    total = sum(g.norm() for g in grads)'),
        ]),
        ('largest per-parameter norm instead of the global norm', [
            (TOTAL, '    total = max(g.norm() for g in grads)'),
        ]),
        ('returns a Python float', [
            ('    return total',
             '    return total.item()'),
        ]),
        # caught only by the hidden tests: the visible checks pass lists
        ('reads the parameters twice (a generator is empty the second time)', [
            (GRADS + '\n' + TOTAL,
             '    total = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters if p.grad is not None))'),
            (LOOP, '    for p in parameters:\n'
                   '        if p.grad is not None:\n'
                   '            p.grad.mul_(scale)'),
        ]),
        ('p.grad replaced by a new tensor (p.grad = p.grad * scale), not modified in place', '''
from collections.abc import Iterable


def clip_grad_norm(parameters, max_norm):
    params = [p for p in parameters if p.grad is not None]
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in params))
    scale = min(1.0, max_norm / (total.item() + 1e-6))
    for p in params:
        p.grad = p.grad * scale
    return total
'''),
        ('no 1e-6 in the factor', [
            (SCALE, '    scale = min(1.0, max_norm / total.item())'),
        ]),
        ('gradients concatenated with torch.cat: works only when they all have one dimension', [
            (TOTAL, '    total = torch.cat(grads).norm()'),
        ]),
    ],
}
