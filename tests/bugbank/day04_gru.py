"""Wrong answers for Day 04 (GRU, parameter counts, copy and adding tasks)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'gru_cell': [
        # whole answer: written differently from the solution (7 of 9 code lines differ)
        ("reset gate applied to h before the product (Cho et al. 2014, not PyTorch's variant)", '''
def gru_cell(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = h_prev.shape[1]
    i_r, i_z, i_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
    h_r, h_z = (h_prev @ weight_hh[:2 * H].T + bias_hh[:2 * H]).chunk(2, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + (r * h_prev) @ weight_hh[2 * H:].T + bias_hh[2 * H:])
    return (1 - z) * n + z * h_prev
'''),
        # whole answer: written differently from the solution (7 of 9 code lines differ)
        ('update gate interpolation reversed (z writes the candidate)', '''
def gru_cell(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    i_r, i_z, i_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h_prev @ weight_hh.T + bias_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return z * n + (1 - z) * h_prev
'''),
        # whole answer: written differently from the solution (6 of 9 code lines differ)
        ('gate order r/z swapped (z read from the first block)', '''
def gru_cell(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    i_z, i_r, i_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
    h_z, h_r, h_n = (h_prev @ weight_hh.T + bias_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h_prev
'''),
        # whole answer: written differently from the solution (7 of 9 code lines differ)
        ('b_hn added outside the reset product', '''
def gru_cell(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = h_prev.shape[1]
    i_r, i_z, i_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h_prev @ weight_hh.T).chunk(3, dim=1)
    b_r, b_z, b_n = bias_hh.chunk(3)
    r, z = torch.sigmoid(i_r + h_r + b_r), torch.sigmoid(i_z + h_z + b_z)
    n = torch.tanh(i_n + b_n + r * h_n)
    return (1 - z) * n + z * h_prev
'''),
        # whole answer: written differently from the solution (7 of 9 code lines differ)
        ('three separate products per input instead of one fused product', '''
def gru_cell(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    W_ir, W_iz, W_in = weight_ih.chunk(3)
    W_hr, W_hz, W_hn = weight_hh.chunk(3)
    b_ir, b_iz, b_in = bias_ih.chunk(3)
    b_hr, b_hz, b_hn = bias_hh.chunk(3)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h_prev @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h_prev @ W_hz.T + b_hz)
    n = torch.tanh(x @ W_in.T + b_in + r * (h_prev @ W_hn.T + b_hn))
    return (1 - z) * n + z * h_prev
'''),
        # whole answer: written differently from the solution (6 of 9 code lines differ)
        ('computed in float32 whatever the input dtype', '''
def gru_cell(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh = (
        t.float() for t in (x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh))
    i_r, i_z, i_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h_prev @ weight_hh.T + bias_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h_prev
'''),
    ],
    'gru_module': [
        # whole answer: written differently from the solution (12 of 17 code lines differ)
        ('h0 ignored', '''
class GRU(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1.0 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))

    def forward(self, x, h0=None):
        h = x.new_zeros(x.shape[0], self.hidden_size)
        outs = []
        for t in range(x.shape[1]):
            h = gru_cell(x[:, t], h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
            outs.append(h)
        return torch.stack(outs, 1), h.unsqueeze(0)
'''),
        # whole answer: written differently from the solution (12 of 17 code lines differ)
        ('hidden state detached every step (truncated BPTT by accident)', '''
class GRU(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1.0 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))

    def forward(self, x, h0=None):
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for t in range(x.shape[1]):
            h = gru_cell(x[:, t], h.detach(), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
            outs.append(h)
        return torch.stack(outs, 1), h.unsqueeze(0)
'''),
        # whole answer: written differently from the solution (12 of 17 code lines differ)
        ('weights initialised from a standard normal (std 1, not U(-1/sqrt(H), 1/sqrt(H)))', '''
class GRU(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.randn(3 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.randn(3 * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.randn(3 * hidden_size))
        self.bias_hh = nn.Parameter(torch.randn(3 * hidden_size))

    def forward(self, x, h0=None):
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for t in range(x.shape[1]):
            h = gru_cell(x[:, t], h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
            outs.append(h)
        return torch.stack(outs, 1), h.unsqueeze(0)
'''),
        # whole answer: written differently from the solution (12 of 17 code lines differ)
        ('output time-major (T, B, H)', '''
class GRU(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1.0 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))

    def forward(self, x, h0=None):
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for t in range(x.shape[1]):
            h = gru_cell(x[:, t], h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
            outs.append(h)
        return torch.stack(outs), h.unsqueeze(0)
'''),
        # whole answer: written differently from the solution (12 of 17 code lines differ)
        ('h_n returned without the layer dimension', '''
class GRU(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        k = 1.0 / hidden_size ** 0.5
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size).uniform_(-k, k))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size).uniform_(-k, k))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-k, k))

    def forward(self, x, h0=None):
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for t in range(x.shape[1]):
            h = gru_cell(x[:, t], h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
            outs.append(h)
        return torch.stack(outs, 1), h
'''),
        # whole answer: written differently from the solution (12 of 17 code lines differ)
        ('delegates to nn.GRU', '''
class GRU(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self._gru = nn.GRU(input_size, hidden_size, batch_first=True)
        self.weight_ih, self.weight_hh = self._gru.weight_ih_l0, self._gru.weight_hh_l0
        self.bias_ih, self.bias_hh = self._gru.bias_ih_l0, self._gru.bias_hh_l0

    def forward(self, x, h0=None):
        return self._gru(x, h0)
'''),
    ],
    'param_count': [
        # whole answer: written differently from the solution (8 of 12 code lines differ)
        ('one bias vector per layer and direction', '''
def param_count(cell, input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[cell]
    dirs = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d_in = input_size if layer == 0 else dirs * hidden_size
        total += dirs * (G * hidden_size * (d_in + hidden_size) + (G * hidden_size if bias else 0))
    return total
'''),
        # whole answer: written differently from the solution (8 of 12 code lines differ)
        ('bidirectional: upper layers read H features instead of 2H', '''
def param_count(cell, input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    if cell not in ("RNN", "GRU", "LSTM"):
        raise ValueError(cell)
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[cell]
    dirs = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d_in = input_size if layer == 0 else hidden_size
        total += dirs * (G * hidden_size * (d_in + hidden_size) + (2 * G * hidden_size if bias else 0))
    return total
'''),
        # whole answer: written differently from the solution (11 of 12 code lines differ)
        ('every layer reads input_size features', '''
def param_count(cell, input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    if cell not in ("RNN", "GRU", "LSTM"):
        raise ValueError(cell)
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[cell]
    dirs = 2 if bidirectional else 1
    per_direction = G * hidden_size * (input_size + hidden_size) + (2 * G * hidden_size if bias else 0)
    return num_layers * dirs * per_direction
'''),
        # whole answer: written differently from the solution (8 of 12 code lines differ)
        ('LSTM counted with three gate blocks', '''
def param_count(cell, input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    G = {"RNN": 1, "GRU": 3, "LSTM": 3}[cell]
    dirs = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d_in = input_size if layer == 0 else dirs * hidden_size
        total += dirs * (G * hidden_size * (d_in + hidden_size) + (2 * G * hidden_size if bias else 0))
    return total
'''),
        # whole answer: written differently from the solution (8 of 12 code lines differ)
        ('bias=False ignored', '''
def param_count(cell, input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    if cell not in ("RNN", "GRU", "LSTM"):
        raise ValueError(cell)
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[cell]
    dirs = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d_in = input_size if layer == 0 else dirs * hidden_size
        total += dirs * (G * hidden_size * (d_in + hidden_size) + 2 * G * hidden_size)
    return total
'''),
        # whole answer: written differently from the solution (11 of 12 code lines differ)
        ('builds the torch.nn module and counts its parameters', '''
def param_count(cell, input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    module = getattr(nn, cell)(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional, bias=bias)
    return sum(p.numel() for p in module.parameters())
'''),
    ],
    'make_copy_task': [
        ('targets shifted by one (recall starts one step before the go marker)', [
            ('    targets[:, K + distance:] = symbols',
             '    targets[:, K + distance - 1:T - 1] = symbols'),
        ]),
        ('go marker hard-coded as 9 (right only for n_symbols = 8)', [
            ('    inputs[:, K + distance] = n_symbols + 1                                      # the go marker',
             '    inputs[:, K + distance] = 9'),
        ]),
        ('symbols drawn from 1..8 whatever n_symbols is', [
            ('    symbols = torch.randint(1, n_symbols + 1, (batch, K), generator=generator)   # (B, K)',
             '    symbols = torch.randint(1, 9, (batch, K), generator=generator)'),
        ]),
        # whole answer: written differently from the solution (6 of 9 code lines differ)
        ('the gap filled with random symbols instead of blanks', '''
def make_copy_task(batch, n_copy, distance, n_symbols=8, generator=None):
    K = n_copy
    symbols = torch.randint(1, n_symbols + 1, (batch, K), generator=generator)
    noise = torch.randint(1, n_symbols + 1, (batch, distance), generator=generator)
    go = torch.full((batch, 1), n_symbols + 1, dtype=torch.long)
    inputs = torch.cat([symbols, noise, go, torch.zeros(batch, K - 1, dtype=torch.long)], dim=1)
    targets = torch.cat([torch.full((batch, K + distance), IGNORE, dtype=torch.long), symbols], dim=1)
    return inputs, targets
'''),
        ('symbols drawn as (n_copy, batch) and transposed', [
            ('    symbols = torch.randint(1, n_symbols + 1, (batch, K), generator=generator)   # (B, K)',
             '    symbols = torch.randint(1, n_symbols + 1, (K, batch), generator=generator).T'),
        ]),
    ],
    'make_adding_task': [
        ('both marks in the first half', [
            ('    second = torch.randint(half, length, (batch,), generator=generator)           # (B,)',
             '    second = (first + 1 + torch.randint(0, half - 1, (batch,), generator=generator)) % half if half > 1 else first'),
        ]),
        ('positions drawn before the values (draw order not as documented)', [
            ('    rows = torch.arange(batch)',
             '    values = torch.rand(batch, length, generator=generator)\n'
             '    rows = torch.arange(batch)'),
            ('    values = torch.rand(batch, length, generator=generator)                       # (B, T)\n',
             ''),
        ]),
        ('first half rounded up for odd lengths', [
            ('    half = length // 2',
             '    half = (length + 1) // 2'),
        ]),
        ('target is the mean of the marked values', [
            ('    return torch.stack([values, marks], dim=-1), values[rows, first] + values[rows, second]',
             '    return torch.stack([values, marks], dim=-1), (values[rows, first] + values[rows, second]) / 2'),
        ]),
        ('both positions drawn from the whole sequence (may share a half, or coincide)', [
            ('    half = length // 2\n'
             '    first = torch.randint(0, half, (batch,), generator=generator)                 # (B,)\n'
             '    second = torch.randint(half, length, (batch,), generator=generator)           # (B,)',
             '    first = torch.randint(0, length, (batch,), generator=generator)\n'
             '    second = torch.randint(0, length, (batch,), generator=generator)'),
        ]),
    ],
}
