"""Wrong answers for Day 01 (vanilla RNN)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'build_vocab': [
        ('no special tokens', [
            ('    return list(SPECIALS) + kept',
             '    return kept'),
        ]),
        ('alphabetical order instead of frequency', [
            ('    kept.sort(key=lambda ch: (-counts[ch], ch))',
             '    kept.sort()'),
        ]),
        ('min_count ignored', [
            ('    kept = [ch for ch, n in counts.items() if n >= min_count and ch not in SPECIALS]',
             '    kept = [ch for ch, n in counts.items() if ch not in SPECIALS]'),
        ]),
        ('ties broken by first appearance', [
            ('    kept.sort(key=lambda ch: (-counts[ch], ch))',
             '    kept.sort(key=lambda ch: -counts[ch])'),
        ]),
        ('counts texts, not occurrences', [
            ('    counts = Counter(ch for text in texts for ch in text)',
             '    counts = Counter(ch for text in texts for ch in set(text))'),
        ]),
    ],
    'encode': [
        ('no <bos>/<eos>', [
            ('    ids = [stoi[BOS]] + [stoi.get(ch, stoi[UNK]) for ch in text] + [stoi[EOS]]',
             '    ids = [stoi.get(ch, stoi[UNK]) for ch in text]'),
        ]),
        ('special ids hard-coded as 1, 2, 3', [
            ('    ids = [stoi[BOS]] + [stoi.get(ch, stoi[UNK]) for ch in text] + [stoi[EOS]]',
             '    ids = [2] + [stoi.get(ch, 1) for ch in text] + [3]'),
        ]),
        ('unknown characters crash (KeyError)', [
            ('    ids = [stoi[BOS]] + [stoi.get(ch, stoi[UNK]) for ch in text] + [stoi[EOS]]',
             '    ids = [stoi[BOS]] + [stoi[ch] for ch in text] + [stoi[EOS]]'),
        ]),
        ('unknown characters silently dropped', [
            ('    ids = [stoi[BOS]] + [stoi.get(ch, stoi[UNK]) for ch in text] + [stoi[EOS]]',
             '    ids = [stoi[BOS]] + [stoi[ch] for ch in text if ch in stoi] + [stoi[EOS]]'),
        ]),
        ('float tensor', [
            ('    return torch.tensor(ids, dtype=torch.long)',
             '    return torch.tensor(ids, dtype=torch.float32)'),
        ]),
    ],
    'rnn_cell_step': [
        ('W_hh not transposed', [
            ('    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)',
             '    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh + b_hh)'),
        ]),
        ('b_hh forgotten', [
            ('    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)',
             '    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T)'),
        ]),
        ('sigmoid instead of tanh', [
            ('    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)',
             '    return 1 / (1 + np.exp(-(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)))'),
        ]),
        ('tanh applied before adding the recurrent term', [
            ('    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)',
             '    return np.tanh(x @ W_ih.T + b_ih) + h_prev @ W_hh.T + b_hh'),
        ]),
        ('computed in float32', [
            ('    return np.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)',
             '    f = np.float32\n'
             '    return np.tanh(x.astype(f) @ W_ih.T.astype(f) + b_ih.astype(f) + h_prev.astype(f) @ W_hh.T.astype(f) + b_hh.astype(f))'),
        ]),
    ],
    'rnn_forward': [
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
    ],
    'rnn_module': [
        ('hidden state detached every step (truncated BPTT by accident)', [
            ('            h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)',
             '            h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h.detach() @ self.weight_hh.T + self.bias_hh)'),
        ]),
        ('h0 ignored', [
            ('        h = x.new_zeros(B, self.hidden_size) if h0 is None else h0[0]  # (B, H)',
             '        h = x.new_zeros(B, self.hidden_size)  # (B, H)'),
        ]),
        # whole answer: delegates to nn.RNN, a different structure
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
            ('        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-bound, bound))\n'
             '        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-bound, bound))\n'
             '        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-bound, bound))\n'
             '        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-bound, bound))',
             '        self.weight_ih = nn.Parameter(torch.randn(hidden_size, input_size))\n'
             '        self.weight_hh = nn.Parameter(torch.randn(hidden_size, hidden_size))\n'
             '        self.bias_ih = nn.Parameter(torch.randn(hidden_size))\n'
             '        self.bias_hh = nn.Parameter(torch.randn(hidden_size))'),
        ]),
        ('outputs stacked time-first', [
            ('        return torch.stack(outputs, dim=1), h.unsqueeze(0)  # (B, T, H), (1, B, H)',
             '        return torch.stack(outputs), h.unsqueeze(0)  # (T, B, H), (1, B, H)'),
        ]),
        ('W_hh not transposed', [
            ('            h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)',
             '            h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh + self.bias_hh)'),
        ]),
    ],
    'clip_grad_norm': [
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
        ('small gradients scaled up too', [
            ('''        g.mul_(scale)
''',
             '''        g.mul_(max_norm / (total + 1e-6))
'''),
            ('''    scale = min(1.0, max_norm / (total.item() + 1e-6))
''',
             ''),
            ('''def clip_grad_norm(parameters: list[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale all gradients in place so their global L2 norm is at most max_norm; return the norm before."""
''',
             '''def clip_grad_norm(parameters, max_norm):
'''),
        ]),
        ('returns the norm after clipping', [
            ('    return total',
             '    return total * scale'),
        ]),
        ('not in place: gradients left unchanged', [
            ('''    for g in grads:
        g.mul_(scale)
''',
             '''    grads = [g * scale for g in grads]
'''),
            ('''def clip_grad_norm(parameters: list[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale all gradients in place so their global L2 norm is at most max_norm; return the norm before."""
''',
             '''def clip_grad_norm(parameters, max_norm):
'''),
        ]),
        ('crashes on parameters without a gradient', [
            ('    grads = [p.grad for p in parameters if p.grad is not None]',
             '    grads = [p.grad for p in parameters]'),
        ]),
        ('sum of norms instead of the global norm', [
            ('''    total = torch.sqrt(sum((g ** 2).sum() for g in grads))
''',
             '''    total = sum(g.norm() for g in grads)
'''),
            ('''def clip_grad_norm(parameters: list[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Scale all gradients in place so their global L2 norm is at most max_norm; return the norm before."""
''',
             '''def clip_grad_norm(parameters, max_norm):
'''),
        ]),
    ],
}
