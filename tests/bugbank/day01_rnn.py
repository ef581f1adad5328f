"""Wrong answers for Day 01 (vanilla RNN)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'build_vocab': [
        # whole answer: written differently from the solution (4 of 6 code lines differ)
        ('no special tokens', '''
from collections import Counter
def build_vocab(texts, min_count=1):
    counts = Counter(ch for t in texts for ch in t)
    return sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
'''),
        # whole answer: written differently from the solution (5 of 6 code lines differ)
        ('alphabetical order instead of frequency', '''
def build_vocab(texts, min_count=1):
    chars = sorted(set("".join(texts)))
    return list(SPECIALS) + [c for c in chars if "".join(texts).count(c) >= min_count]
'''),
        # whole answer: written differently from the solution (4 of 6 code lines differ)
        ('min_count ignored', '''
from collections import Counter
def build_vocab(texts, min_count=1):
    counts = Counter(ch for t in texts for ch in t)
    return list(SPECIALS) + sorted(counts, key=lambda c: (-counts[c], c))
'''),
        # whole answer: written differently from the solution (4 of 6 code lines differ)
        ('ties broken by first appearance', '''
from collections import Counter
def build_vocab(texts, min_count=1):
    counts = Counter(ch for t in texts for ch in t)
    return list(SPECIALS) + [c for c, n in counts.most_common() if n >= min_count]
'''),
        # whole answer: written differently from the solution (4 of 6 code lines differ)
        ('counts texts, not occurrences', '''
from collections import Counter
def build_vocab(texts, min_count=1):
    counts = Counter(ch for t in texts for ch in set(t))
    return list(SPECIALS) + sorted((c for c in counts if counts[c] >= min_count), key=lambda c: (-counts[c], c))
'''),
    ],
    'encode': [
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('no <bos>/<eos>', '''
def encode(text, stoi):
    return torch.tensor([stoi.get(ch, stoi[UNK]) for ch in text], dtype=torch.long)
'''),
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('special ids hard-coded as 1, 2, 3', '''
def encode(text, stoi):
    return torch.tensor([2] + [stoi.get(ch, 1) for ch in text] + [3], dtype=torch.long)
'''),
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('unknown characters crash (KeyError)', '''
def encode(text, stoi):
    return torch.tensor([stoi[BOS]] + [stoi[ch] for ch in text] + [stoi[EOS]], dtype=torch.long)
'''),
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('unknown characters silently dropped', '''
def encode(text, stoi):
    return torch.tensor([stoi[BOS]] + [stoi[ch] for ch in text if ch in stoi] + [stoi[EOS]], dtype=torch.long)
'''),
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('float tensor', '''
def encode(text, stoi):
    return torch.tensor([stoi[BOS]] + [stoi.get(ch, stoi[UNK]) for ch in text] + [stoi[EOS]], dtype=torch.float32)
'''),
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
        # whole answer: written differently from the solution (2 of 2 code lines differ)
        ('computed in float32', '''
def rnn_cell_step(x, h_prev, W_ih, W_hh, b_ih, b_hh):
    f = np.float32
    return np.tanh(x.astype(f) @ W_ih.T.astype(f) + b_ih.astype(f) + h_prev.astype(f) @ W_hh.T.astype(f) + b_hh.astype(f))
'''),
    ],
    'rnn_forward': [
        # whole answer: written differently from the solution (5 of 6 code lines differ)
        ('h0 fed to every step (state never carried)', '''
def rnn_forward(xs, h0, W_ih, W_hh, b_ih, b_hh):
    hs = np.stack([rnn_cell_step(x, h0, W_ih, W_hh, b_ih, b_hh) for x in xs])
    return hs, hs[-1]
'''),
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
        # whole answer: written differently from the solution (12 of 17 code lines differ)
        ('hidden state detached every step (truncated BPTT by accident)', '''
class RNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1.0 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))

    def forward(self, x, h0=None):
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h.detach() @ self.weight_hh.T + self.bias_hh)
            outs.append(h)
        return torch.stack(outs, 1), h.unsqueeze(0)
'''),
        # whole answer: written differently from the solution (11 of 17 code lines differ)
        ('h0 ignored', '''
class RNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1.0 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))

    def forward(self, x, h0=None):
        h = x.new_zeros(x.shape[0], self.hidden_size)
        outs = []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)
            outs.append(h)
        return torch.stack(outs, 1), h.unsqueeze(0)
'''),
        # whole answer: written differently from the solution (12 of 17 code lines differ)
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
        # whole answer: written differently from the solution (11 of 17 code lines differ)
        ('weights drawn from N(0, 1)', '''
class RNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.randn(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.randn(hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.randn(hidden_size))
        self.bias_hh = nn.Parameter(torch.randn(hidden_size))

    def forward(self, x, h0=None):
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)
            outs.append(h)
        return torch.stack(outs, 1), h.unsqueeze(0)
'''),
        # whole answer: written differently from the solution (11 of 17 code lines differ)
        ('outputs stacked time-first', '''
class RNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1.0 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))

    def forward(self, x, h0=None):
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)
            outs.append(h)
        return torch.stack(outs), h.unsqueeze(0)
'''),
        # whole answer: written differently from the solution (12 of 17 code lines differ)
        ('W_hh not transposed', '''
class RNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1.0 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(hidden_size).uniform_(-k, k))

    def forward(self, x, h0=None):
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh + self.bias_hh)
            outs.append(h)
        return torch.stack(outs, 1), h.unsqueeze(0)
'''),
    ],
    'clip_grad_norm': [
        # whole answer: written differently from the solution (8 of 7 code lines differ)
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
        # whole answer: written differently from the solution (4 of 7 code lines differ)
        ('crashes on parameters without a gradient', '''
def clip_grad_norm(parameters, max_norm):
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in parameters))
    scale = min(1.0, max_norm / (total.item() + 1e-6))
    for p in parameters:
        p.grad.mul_(scale)
    return total
'''),
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
