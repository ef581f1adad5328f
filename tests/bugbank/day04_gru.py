"""Wrong answers for Day 04 (GRU, parameter counts, copy and adding tasks)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'gru_cell': [
        # whole answer: a different structure: the hidden-side product split so that r multiplies h first
        ("reset gate applied to h before the product (Cho et al. 2014, not PyTorch's variant)", '''
def gru_cell(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = h_prev.shape[1]
    i_r, i_z, i_n = (x @ weight_ih.T + bias_ih).chunk(3, dim=1)
    h_r, h_z = (h_prev @ weight_hh[:2 * H].T + bias_hh[:2 * H]).chunk(2, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + (r * h_prev) @ weight_hh[2 * H:].T + bias_hh[2 * H:])
    return (1 - z) * n + z * h_prev
'''),
        ('update gate interpolation reversed (z writes the candidate)', [
            ('    return (1 - z) * n + z * h_prev          # (B, H)',
             '    return z * n + (1 - z) * h_prev          # (B, H)'),
        ]),
        ('gate order r/z swapped (z read from the first block)', [
            ('    i_r, i_z, i_n = gi.chunk(3, dim=1)       # each (B, H)\n'
             '    h_r, h_z, h_n = gh.chunk(3, dim=1)',
             '    i_z, i_r, i_n = gi.chunk(3, dim=1)       # each (B, H)\n'
             '    h_z, h_r, h_n = gh.chunk(3, dim=1)'),
        ]),
        ('b_hn added outside the reset product', [
            ('    gh = h_prev @ weight_hh.T + bias_hh      # (B, 3H): hidden side, b_hn included',
             '    gh = h_prev @ weight_hh.T'),
            ('    h_r, h_z, h_n = gh.chunk(3, dim=1)',
             '    h_r, h_z, h_n = gh.chunk(3, dim=1)\n'
             '    b_r, b_z, b_n = bias_hh.chunk(3)\n'
             '    h_r, h_z = h_r + b_r, h_z + b_z'),
            ('    n = torch.tanh(i_n + r * h_n)',
             '    n = torch.tanh(i_n + b_n + r * h_n)'),
        ]),
        # whole answer: a different structure: three products per weight matrix instead of one fused product
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
        ('computed in float32 whatever the input dtype', [
            ('    gi = x @ weight_ih.T + bias_ih           # (B, 3H): input side of r, z and n',
             '    x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh = (\n'
             '        t.float() for t in (x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh))\n'
             '    gi = x @ weight_ih.T + bias_ih           # (B, 3H): input side of r, z and n'),
        ]),
        ('blocks split with .chunk(3) along dim 0 (the batch)', [
            ('    i_r, i_z, i_n = gi.chunk(3, dim=1)       # each (B, H)\n'
             '    h_r, h_z, h_n = gh.chunk(3, dim=1)',
             '    i_r, i_z, i_n = gi.chunk(3)\n'
             '    h_r, h_z, h_n = gh.chunk(3)'),
        ]),
        ('reset gate multiplies the whole candidate pre-activation', [
            ('    n = torch.tanh(i_n + r * h_n)',
             '    n = torch.tanh(r * (i_n + h_n))'),
        ]),
        ('bias_hh left out', [
            ('    gh = h_prev @ weight_hh.T + bias_hh      # (B, 3H): hidden side, b_hn included',
             '    gh = h_prev @ weight_hh.T                # (B, 3H): hidden side'),
        ]),
        ('sigmoid for the candidate instead of tanh', [
            ('    n = torch.tanh(i_n + r * h_n)',
             '    n = torch.sigmoid(i_n + r * h_n)'),
        ]),
        ('previous state detached before the hidden-side product (no gradient to h_prev)', [
            ('    gh = h_prev @ weight_hh.T + bias_hh      # (B, 3H): hidden side, b_hn included',
             '    gh = h_prev.detach() @ weight_hh.T + bias_hh'),
        ]),
    ],
    'gru_module': [
        ('h0 ignored', [
            ('        state = x.new_zeros(B, self.hidden_size) if h0 is None else h0[0]   # (B, H)',
             '        state = x.new_zeros(B, self.hidden_size)   # (B, H)'),
        ]),
        ('hidden state detached every step (truncated BPTT by accident)', [
            ('            state = gru_cell(x[:, t], state, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)',
             '            state = gru_cell(x[:, t], state.detach(), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)'),
        ]),
        ('weights initialised from a standard normal (std 1, not U(-1/sqrt(H), 1/sqrt(H)))', [
            ('        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size).uniform_(-bound, bound))\n'
             '        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size).uniform_(-bound, bound))\n'
             '        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-bound, bound))\n'
             '        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-bound, bound))',
             '        self.weight_ih = nn.Parameter(torch.randn(3 * hidden_size, input_size))\n'
             '        self.weight_hh = nn.Parameter(torch.randn(3 * hidden_size, hidden_size))\n'
             '        self.bias_ih = nn.Parameter(torch.randn(3 * hidden_size))\n'
             '        self.bias_hh = nn.Parameter(torch.randn(3 * hidden_size))'),
        ]),
        ('output time-major (T, B, H)', [
            ('        return torch.stack(states, dim=1), state.unsqueeze(0)   # (B, T, H), (1, B, H)',
             '        return torch.stack(states), state.unsqueeze(0)   # (T, B, H), (1, B, H)'),
        ]),
        ('h_n returned without the layer dimension', [
            ('        return torch.stack(states, dim=1), state.unsqueeze(0)   # (B, T, H), (1, B, H)',
             '        return torch.stack(states, dim=1), state   # (B, T, H), (B, H)'),
        ]),
        # whole answer: delegates to nn.GRU, a different structure
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
        ('zero initial state created in float32 whatever the dtype of x', [
            ('        state = x.new_zeros(B, self.hidden_size) if h0 is None else h0[0]   # (B, H)',
             '        state = torch.zeros(B, self.hidden_size) if h0 is None else h0[0]   # (B, H)'),
        ]),
        ('initial state taken as h0.squeeze() (drops the batch dimension when B = 1)', [
            ('        state = x.new_zeros(B, self.hidden_size) if h0 is None else h0[0]   # (B, H)',
             '        state = x.new_zeros(B, self.hidden_size) if h0 is None else h0.squeeze()   # (B, H)'),
        ]),
        ('loops over x.shape[0] (the batch) instead of the time steps', [
            ('        for t in range(T):',
             '        for t in range(x.shape[0]):'),
        ]),
        ('initialisation bound 1/sqrt(input_size)', [
            ('        bound = 1.0 / hidden_size ** 0.5',
             '        bound = 1.0 / input_size ** 0.5'),
        ]),
        ('biases initialised to zero', [
            ('        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-bound, bound))\n'
             '        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size).uniform_(-bound, bound))',
             '        self.bias_ih = nn.Parameter(torch.zeros(3 * hidden_size))\n'
             '        self.bias_hh = nn.Parameter(torch.zeros(3 * hidden_size))'),
        ]),
    ],
    'param_count': [
        ('one bias vector per layer and direction', [
            ('        per_direction = GH * layer_input + GH * hidden_size + (2 * GH if bias else 0)',
             '        per_direction = GH * layer_input + GH * hidden_size + (GH if bias else 0)'),
        ]),
        ('bidirectional: upper layers read H features instead of 2H', [
            ('        layer_input = input_size if layer == 0 else directions * hidden_size',
             '        layer_input = input_size if layer == 0 else hidden_size'),
        ]),
        ('every layer reads input_size features', [
            ('        layer_input = input_size if layer == 0 else directions * hidden_size',
             '        layer_input = input_size'),
        ]),
        ('LSTM counted with three gate blocks', [
            ('    blocks = {"RNN": 1, "GRU": 3, "LSTM": 4}',
             '    blocks = {"RNN": 1, "GRU": 3, "LSTM": 3}'),
        ]),
        ('bias=False ignored', [
            ('        per_direction = GH * layer_input + GH * hidden_size + (2 * GH if bias else 0)',
             '        per_direction = GH * layer_input + GH * hidden_size + 2 * GH'),
        ]),
        # whole answer: a different algorithm: counts a built torch.nn module's parameters
        ('builds the torch.nn module and counts its parameters', '''
def param_count(cell, input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    module = getattr(nn, cell)(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional, bias=bias)
    return sum(p.numel() for p in module.parameters())
'''),
        ('num_layers ignored (one layer counted)', [
            ('    for layer in range(num_layers):',
             '    for layer in range(1):'),
        ]),
        ('unknown cell name: KeyError from the dict instead of ValueError', [
            ('    if cell not in blocks:\n'
             '        raise ValueError(f"cell must be \'RNN\', \'GRU\' or \'LSTM\', got {cell!r}")\n',
             ''),
        ]),
        ('biases counted once per layer, not once per direction', [
            ('        per_direction = GH * layer_input + GH * hidden_size + (2 * GH if bias else 0)\n'
             '        total += directions * per_direction',
             '        per_direction = GH * layer_input + GH * hidden_size\n'
             '        total += directions * per_direction + (2 * GH if bias else 0)'),
        ]),
        ('bidirectional ignored (one direction counted)', [
            ('    directions = 2 if bidirectional else 1',
             '    directions = 1'),
        ]),
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
        ('the gap filled with random symbols instead of blanks', [
            ('    inputs[:, :K] = symbols',
             '    inputs[:, :K] = symbols\n'
             '    inputs[:, K:K + distance] = torch.randint(1, n_symbols + 1, (batch, distance), generator=generator)'),
        ]),
        ('symbols drawn as (n_copy, batch) and transposed', [
            ('    symbols = torch.randint(1, n_symbols + 1, (batch, K), generator=generator)   # (B, K)',
             '    symbols = torch.randint(1, n_symbols + 1, (K, batch), generator=generator).T'),
        ]),
        ('go marker n_symbols (off by one)', [
            ('    inputs[:, K + distance] = n_symbols + 1                                      # the go marker',
             '    inputs[:, K + distance] = n_symbols'),
        ]),
        ('positions with nothing to recall get 0 instead of IGNORE', [
            ('    targets = torch.full((batch, T), IGNORE, dtype=torch.long)',
             '    targets = torch.zeros(batch, T, dtype=torch.long)'),
        ]),
        ('a fresh torch.Generator() when none is given (every call returns the same batch)', [
            ('    K, T = 2 * n_copy + distance' if False else '    K, T = n_copy, 2 * n_copy + distance',
             '    K, T = n_copy, 2 * n_copy + distance\n'
             '    if generator is None:\n'
             '        generator = torch.Generator()'),
        ]),
        ('inputs built as floats (torch.zeros without dtype)', [
            ('    inputs = torch.zeros(batch, T, dtype=torch.long)',
             '    inputs = torch.zeros(batch, T)'),
        ]),
        ('symbols drawn from 1..n_symbols - 1 (randint upper bound off by one)', [
            ('    symbols = torch.randint(1, n_symbols + 1, (batch, K), generator=generator)   # (B, K)',
             '    symbols = torch.randint(1, n_symbols, (batch, K), generator=generator)'),
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
        ('generator not passed to the position draws', [
            ('    first = torch.randint(0, half, (batch,), generator=generator)                 # (B,)\n'
             '    second = torch.randint(half, length, (batch,), generator=generator)           # (B,)',
             '    first = torch.randint(0, half, (batch,))\n'
             '    second = torch.randint(half, length, (batch,))'),
        ]),
        ('both positions from one randint call, the second shifted by half', [
            ('    first = torch.randint(0, half, (batch,), generator=generator)                 # (B,)\n'
             '    second = torch.randint(half, length, (batch,), generator=generator)           # (B,)',
             '    first, second = (torch.randint(0, half, (batch, 2), generator=generator) + torch.tensor([0, half])).unbind(1)'),
        ]),
        ('channels swapped (marks first, values second)', [
            ('    return torch.stack([values, marks], dim=-1), values[rows, first] + values[rows, second]',
             '    return torch.stack([marks, values], dim=-1), values[rows, first] + values[rows, second]'),
        ]),
        ('target of shape (batch, 1)', [
            ('    return torch.stack([values, marks], dim=-1), values[rows, first] + values[rows, second]',
             '    return torch.stack([values, marks], dim=-1), (values[rows, first] + values[rows, second]).unsqueeze(1)'),
        ]),
        ('torch.manual_seed(0) when no generator is given (reseeds the global generator)', [
            ('    values = torch.rand(batch, length, generator=generator)                       # (B, T)',
             '    if generator is None:\n'
             '        torch.manual_seed(0)\n'
             '    values = torch.rand(batch, length, generator=generator)                       # (B, T)'),
        ]),
    ],
}

# Issue 10, held-out red-team pass: realistic wrong answers, written from the exercise text alone, that
# exposed a gap (each passed the visible tests before the checks they now fail were added).
BUGS['gru_cell'] += [
    ("h_prev updated in place: h_prev.mul_(z).add_((1 - z) * n) (right values, the caller's h_prev changed)", [
        ("    return (1 - z) * n + z * h_prev ", "    h_prev.mul_(z).add_((1 - z) * n)\n    return h_prev ")]),
]
BUGS['param_count'] += [
    ("names upper-cased, and an unknown name counts 0 parameters instead of raising ValueError", [
        ("    if cell not in blocks:\n        raise ValueError(f\"cell must be 'RNN', 'GRU' or 'LSTM', got {cell!r}\")",
         "    if cell.upper() not in blocks:\n        return 0\n    cell = cell.upper()")]),
]
BUGS['param_count'] += [
    # whole answer: checks the name as asked, then counts a built module instead of using the shapes
    ("checks the name, then builds the torch.nn module and counts its parameters", '''
def param_count(cell, input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    if cell not in ("RNN", "GRU", "LSTM"):
        raise ValueError(f"unknown cell {cell!r}")
    module = getattr(nn, cell)(input_size, hidden_size, num_layers, bias=bias, bidirectional=bidirectional)
    return sum(p.numel() for p in module.parameters())
'''),
]
