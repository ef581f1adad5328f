"""Wrong answers for Day 03 (the LSTM from scratch)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'lstm_cell_forward_np': [
        ("gate order i, f, o, g (PyTorch's is i, f, g, o)", [
            ('    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)\n'
             '    return h, c, cache',
             '    return h, c, dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)'),
            ('    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)              # each (B, H)',
             '    a_i, a_f, a_o, a_g = np.split(a, 4, axis=1)'),
        ]),
        ('b_hh forgotten', [
            ('    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)\n'
             '    return h, c, cache',
             '    return h, c, dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)'),
            ('    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh          # (B, 4H)',
             '    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T'),
        ]),
        ('output gate applied to c instead of tanh(c)', [
            ('    tanh_c = np.tanh(c)\n'
             '    h = o * tanh_c                                           # (B, H)\n'
             '    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)\n'
             '    return h, c, cache',
             '    h = o * c\n'
             '    return h, c, dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=np.tanh(c))'),
        ]),
        ('forget gate applied to the candidate, input gate to the old state', [
            ('    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)\n'
             '    return h, c, cache',
             '    return h, c, dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)'),
            ('    c = f * c_prev + i * g                                   # (B, H)',
             '    c = i * c_prev + f * g'),
        ]),
        ("tanh where the forget gate's sigmoid belongs", [
            ('    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)\n'
             '    return h, c, cache',
             '    return h, c, dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)'),
            ('    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)',
             '    i, f, g, o = sigmoid(a_i), np.tanh(a_f), np.tanh(a_g), sigmoid(a_o)'),
        ]),
        ('recurrent term reads c_prev instead of h_prev', [
            ('    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)\n'
             '    return h, c, cache',
             '    return h, c, dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)'),
            ('    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh          # (B, 4H)',
             '    a = x @ W_ih.T + b_ih + c_prev @ W_hh.T + b_hh'),
        ]),
        ('computed in float32', [
            ('    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)\n'
             '    return h, c, cache',
             '    return h, c, dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)'),
            ('    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh          # (B, 4H)',
             '    x, h_prev, c_prev = x.astype(np.float32), h_prev.astype(np.float32), c_prev.astype(np.float32)\n'
             '    W_ih, W_hh, b_ih, b_hh = (w.astype(np.float32) for w in (W_ih, W_hh, b_ih, b_hh))\n'
             '    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh          # (B, 4H)'),
        ]),
        ("cache['tanh_c'] holds c itself", [
            ('    tanh_c = np.tanh(c)\n'
             '    h = o * tanh_c                                           # (B, H)\n'
             '    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)\n'
             '    return h, c, cache',
             '    h = o * np.tanh(c)\n'
             '    return h, c, dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=c)'),
        ]),
        ("the cache's c_prev is the new cell state (c_prev updated in place)", [
            ('    c = f * c_prev + i * g                                   # (B, H)',
             '    c_prev *= f\n'
             '    c_prev += i * g\n'
             '    c = c_prev'),
        ]),
        ("the cache's h_prev holds the new h", [
            ('    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)\n    return h, c, cache',
             '    return h, c, dict(x=x, h_prev=h, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)'),
        ]),
        ('the cache holds the pre-activations instead of the gate activations', [
            ('    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)\n    return h, c, cache',
             '    return h, c, dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=a_i, f=a_f, g=a_g, o=a_o,\n'
             '                      tanh_c=tanh_c)'),
        ]),
        ("cache['tanh_c'] holds tanh(c_prev)", [
            ('    cache = dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o, tanh_c=tanh_c)\n    return h, c, cache',
             '    return h, c, dict(x=x, h_prev=h_prev, c_prev=c_prev, W_ih=W_ih, W_hh=W_hh, i=i, f=f, g=g, o=o,\n'
             '                      tanh_c=np.tanh(c_prev))'),
        ]),
        ('np.squeeze on the pre-activations (breaks a batch of one)', [
            ('    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh          # (B, 4H)',
             '    a = np.squeeze(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)'),
        ]),
        ('sigmoid with the sign flipped, 1 / (1 + exp(a))', [
            ('    return 1.0 / (1.0 + np.exp(-a))', '    return 1.0 / (1.0 + np.exp(a))'),
        ]),
    ],
    'lstm_cell_backward_np': [
        ('missing the path from h_t into c_t (only dc reaches c_t)', [
            ('    dc_total = dc + dh * o * (1.0 - tanh_c ** 2)             # both paths into c_t',
             '    dc_total = dc'),
        ]),
        ('incoming dc ignored (only the path through h_t)', [
            ('    dc_total = dc + dh * o * (1.0 - tanh_c ** 2)             # both paths into c_t',
             '    dc_total = dh * o * (1.0 - tanh_c ** 2)'),
        ]),
        ("tanh' written as 1 - tanh(c) instead of 1 - tanh(c)**2", [
            ('    dc_total = dc + dh * o * (1.0 - tanh_c ** 2)             # both paths into c_t',
             '    dc_total = dc + dh * o * (1.0 - tanh_c)'),
        ]),
        ("candidate's derivative taken as the sigmoid's, g (1 - g)", [
            ('            "W_ih": da.T @ cache["x"], "W_hh": da.T @ cache["h_prev"], "b_ih": da.sum(axis=0),\n'
             '            "b_hh": da.sum(axis=0)}',
             '            "W_ih": da.T @ cache["x"], "W_hh": da.T @ cache["h_prev"], "b_ih": da.sum(0), "b_hh": da.sum(0)}'),
            ('    da = np.concatenate([di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g ** 2), do * o * (1.0 - o)],\n'
             '                        axis=1)                               # (B, 4H), order i, f, g, o',
             '    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * g * (1 - g), do * o * (1 - o)], axis=1)'),
        ]),
        ('dL/dc_prev not multiplied by the forget gate', [
            ('    return {"x": da @ cache["W_ih"], "h_prev": da @ cache["W_hh"], "c_prev": dc_total * f,',
             '    return {"x": da @ cache["W_ih"], "h_prev": da @ cache["W_hh"], "c_prev": dc_total,'),
        ]),
        ('bias gradients averaged over the batch', [
            ('            "W_ih": da.T @ cache["x"], "W_hh": da.T @ cache["h_prev"], "b_ih": da.sum(axis=0),\n'
             '            "b_hh": da.sum(axis=0)}',
             '            "W_ih": da.T @ cache["x"], "W_hh": da.T @ cache["h_prev"], "b_ih": da.mean(0), "b_hh": da.mean(0)}'),
            ('    da = np.concatenate([di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g ** 2), do * o * (1.0 - o)],\n'
             '                        axis=1)                               # (B, 4H), order i, f, g, o',
             '    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)], axis=1)'),
        ]),
        ('gate gradients stacked in the order i, f, o, g', [
            ('            "W_ih": da.T @ cache["x"], "W_hh": da.T @ cache["h_prev"], "b_ih": da.sum(axis=0),\n'
             '            "b_hh": da.sum(axis=0)}',
             '            "W_ih": da.T @ cache["x"], "W_hh": da.T @ cache["h_prev"], "b_ih": da.sum(0), "b_hh": da.sum(0)}'),
            ('    da = np.concatenate([di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g ** 2), do * o * (1.0 - o)],\n'
             '                        axis=1)                               # (B, 4H), order i, f, g, o',
             '    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)], axis=1)'),
        ]),
        ('pre-activation gradients kept in float32', [
            ('                        axis=1)                               # (B, 4H), order i, f, g, o',
             '                        axis=1).astype(np.float32)            # (B, 4H), order i, f, g, o'),
        ]),
        ('dL/dc_prev from the incoming dc only, not the total reaching c_t', [
            ('    return {"x": da @ cache["W_ih"], "h_prev": da @ cache["W_hh"], "c_prev": dc_total * f,',
             '    return {"x": da @ cache["W_ih"], "h_prev": da @ cache["W_hh"], "c_prev": dc * f,'),
        ]),
        ('dL/dW_hh taken against the new h instead of h_prev', [
            ('"W_hh": da.T @ cache["h_prev"]', '"W_hh": da.T @ (o * tanh_c)'),
        ]),
        ('forget-gate gradient uses f instead of c_prev', [
            ('    di, df, dg = dc_total * g, dc_total * cache["c_prev"], dc_total * i',
             '    di, df, dg = dc_total * g, dc_total * f, dc_total * i'),
        ]),
        ('dL/dx with the transposed weights (da @ W_ih.T)', [
            ('    return {"x": da @ cache["W_ih"],', '    return {"x": da @ cache["W_ih"].T,'),
        ]),
        ("the path through h_t into c_t misses the output gate", [
            ('    dc_total = dc + dh * o * (1.0 - tanh_c ** 2)             # both paths into c_t',
             '    dc_total = dc + dh * (1.0 - tanh_c ** 2)'),
        ]),
    ],
    'lstm_cell': [
        ("four per-gate products with Tensor.bmm instead of one fused product per weight matrix (right values)", [
            ("    a = x @ W_ih.T + h_prev @ W_hh.T                         # (B, 4H): all four gates in one product each\n",
             "    H = h_prev.shape[1]\n"
             "    a = torch.cat([x[None].bmm(W_ih[k * H:(k + 1) * H].T[None])[0]\n"
             "                   + h_prev[None].bmm(W_hh[k * H:(k + 1) * H].T[None])[0] for k in range(4)], dim=1)\n"),
        ]),
        ('gate order i, f, o, g', [
            ('    h = torch.sigmoid(a_o) * torch.tanh(c)\n'
             '    return h, c',
             '    return torch.sigmoid(a_o) * torch.tanh(c), c'),
            ('    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)                   # each (B, H)',
             '    a_i, a_f, a_o, a_g = a.chunk(4, dim=1)'),
        ]),
        ('only one bias vector added (b_hh dropped)', [
            ('    h = torch.sigmoid(a_o) * torch.tanh(c)\n'
             '    return h, c',
             '    return torch.sigmoid(a_o) * torch.tanh(c), c'),
            ('        a = a + b_ih + b_hh',
             '        a = a + b_ih'),
        ]),
        # whole answer: a different structure: a loop of per-gate products instead of one fused product per weight matrix
        ('eight per-gate products instead of one fused product per matrix', '''
def lstm_cell(x, state, W_ih, W_hh, b_ih, b_hh):
    h_prev, c_prev = state
    H = h_prev.shape[1]
    pre = []
    for k in range(4):
        a = x @ W_ih[k * H:(k + 1) * H].T + h_prev @ W_hh[k * H:(k + 1) * H].T
        if b_ih is not None:
            a = a + b_ih[k * H:(k + 1) * H] + b_hh[k * H:(k + 1) * H]
        pre.append(a)
    a_i, a_f, a_g, a_o = pre
    c = torch.sigmoid(a_f) * c_prev + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c), c
'''),
        ('crashes when the cell has no bias (b_ih = b_hh = None)', [
            ('    a = x @ W_ih.T + h_prev @ W_hh.T                         # (B, 4H): all four gates in one product each\n'
             '    if b_ih is not None:\n'
             '        a = a + b_ih + b_hh',
             '    a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh'),
        ]),
        ('previous state detached (no gradient to h_prev, c_prev)', [
            ('    h = torch.sigmoid(a_o) * torch.tanh(c)\n'
             '    return h, c',
             '    return torch.sigmoid(a_o) * torch.tanh(c), c'),
            ('    h_prev, c_prev = state',
             '    h_prev, c_prev = (s.detach() for s in state)'),
        ]),
        ('output gate applied to c instead of tanh(c)', [
            ('    h = torch.sigmoid(a_o) * torch.tanh(c)\n'
             '    return h, c',
             '    return torch.sigmoid(a_o) * c, c'),
        ]),
        ('input and recurrent weights swapped', [
            ('    h = torch.sigmoid(a_o) * torch.tanh(c)\n'
             '    return h, c',
             '    return torch.sigmoid(a_o) * torch.tanh(c), c'),
            ('    a = x @ W_ih.T + h_prev @ W_hh.T                         # (B, 4H): all four gates in one product each',
             '    a = x @ W_hh.T + h_prev @ W_ih.T'),
        ]),
        ('pre-activations accumulated in a float32 buffer', [
            ('    a = x @ W_ih.T + h_prev @ W_hh.T                         # (B, 4H): all four gates in one product each',
             '    a = torch.zeros(x.shape[0], W_ih.shape[0])\n'
             '    a += x @ W_ih.T + h_prev @ W_hh.T'),
        ]),
        ('candidate squashed with a sigmoid', [
            ('    c = torch.sigmoid(a_f) * c_prev + torch.sigmoid(a_i) * torch.tanh(a_g)',
             '    c = torch.sigmoid(a_f) * c_prev + torch.sigmoid(a_i) * torch.sigmoid(a_g)'),
        ]),
        ('state unpacked as (c_prev, h_prev)', [
            ('    h_prev, c_prev = state', '    c_prev, h_prev = state'),
        ]),
    ],
    'lstm_module': [
        ('batch_first ignored (input always read as (T, B, D))', [
            ('        xs = x.transpose(0, 1) if self.batch_first else x      # (T, B, D)',
             '        xs = x'),
            ('        output = torch.stack(outputs, dim=1 if self.batch_first else 0)  # (B, T, H) or (T, B, H)',
             '        output = torch.stack(outputs, dim=0)'),
        ]),
        ('c0 ignored: the cell state always starts at zero', [
            ('            h, c = state[0][0], state[1][0]                    # (B, H) each',
             '            h, c = state[0][0], xs.new_zeros(B, self.hidden_size)'),
        ]),
        ('h0 and c0 swapped', [
            ('            h, c = state[0][0], state[1][0]                    # (B, H) each',
             '            c, h = state[0][0], state[1][0]'),
        ]),
        ('states detached every step (truncated BPTT by accident)', [
            ('            h, c = lstm_cell(xs[t], (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)',
             '            h, c = lstm_cell(xs[t], (h.detach(), c.detach()), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)'),
        ]),
        ('returns (c_n, h_n) instead of (h_n, c_n)', [
            ('        return output, (h.unsqueeze(0), c.unsqueeze(0))                 # (1, B, H) each',
             '        return output, (c.unsqueeze(0), h.unsqueeze(0))'),
        ]),
        ('h_n and c_n without the layer dimension', [
            ('        return output, (h.unsqueeze(0), c.unsqueeze(0))                 # (1, B, H) each',
             '        return output, (h, c)'),
        ]),
        # whole answer: delegates to nn.LSTM, a different structure
        ('delegates to nn.LSTM', '''
class LSTM(nn.Module):
    def __init__(self, input_size, hidden_size, batch_first=False):
        super().__init__()
        self.input_size, self.hidden_size, self.batch_first = input_size, hidden_size, batch_first
        self._lstm = nn.LSTM(input_size, hidden_size, batch_first=batch_first)
        self.weight_ih, self.weight_hh = self._lstm.weight_ih_l0, self._lstm.weight_hh_l0
        self.bias_ih, self.bias_hh = self._lstm.bias_ih_l0, self._lstm.bias_hh_l0

    def forward(self, x, state=None):
        return self._lstm(x, state)
'''),
        ('weights drawn from N(0, 1)', [
            ('        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size).uniform_(-bound, bound))\n'
             '        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size).uniform_(-bound, bound))\n'
             '        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size).uniform_(-bound, bound))\n'
             '        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size).uniform_(-bound, bound))',
             '        self.weight_ih = nn.Parameter(torch.randn(4 * hidden_size, input_size))\n'
             '        self.weight_hh = nn.Parameter(torch.randn(4 * hidden_size, hidden_size))\n'
             '        self.bias_ih = nn.Parameter(torch.randn(4 * hidden_size))\n'
             '        self.bias_hh = nn.Parameter(torch.randn(4 * hidden_size))'),
        ]),
        ('initialisation bound 1/hidden_size instead of 1/sqrt(hidden_size)', [
            ('        bound = 1.0 / hidden_size ** 0.5', '        bound = 1.0 / hidden_size'),
        ]),
        ('biases initialised to zero', [
            ('        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size).uniform_(-bound, bound))\n'
             '        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size).uniform_(-bound, bound))',
             '        self.bias_ih = nn.Parameter(torch.zeros(4 * hidden_size))\n'
             '        self.bias_hh = nn.Parameter(torch.zeros(4 * hidden_size))'),
        ]),
        ('zero initial state made with torch.zeros (float32 whatever the input)', [
            ('            zeros = xs.new_zeros(B, self.hidden_size)',
             '            zeros = torch.zeros(B, self.hidden_size)'),
        ]),
        ('batch_first also applied to the given state', [
            ('            h, c = state[0][0], state[1][0]                    # (B, H) each',
             '            h0, c0 = (s.transpose(0, 1) for s in state) if self.batch_first else state\n'
             '            h, c = h0[0], c0[0]'),
        ]),
        ('h0 used for the cell state too', [
            ('            h, c = state[0][0], state[1][0]                    # (B, H) each',
             '            h, c = state[0][0], state[0][0]'),
        ]),
        ('output collects the cell states', [
            ('            h, c = lstm_cell(xs[t], (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)\n'
             '            outputs.append(h)',
             '            h, c = lstm_cell(xs[t], (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)\n'
             '            outputs.append(c)'),
        ]),
    ],
    'lstm_param_count': [
        ('one bias vector per gate block, 4H(D + H) + 4H', [
            ('        per_direction = 4 * H * (D + H) + (8 * H if bias else 0)',
             '        per_direction = 4 * H * (D + H) + (4 * H if bias else 0)'),
        ]),
        ('deeper layers read input_size instead of the layer below', [
            ('        D = input_size if layer == 0 else H * directions',
             '        D = input_size'),
        ]),
        ('bidirectional ignored', [
            ('    directions = 2 if bidirectional else 1',
             '    directions = 1'),
        ]),
        ('bidirectional: deeper layers read H instead of 2H', [
            ('        D = input_size if layer == 0 else H * directions',
             '        D = input_size if layer == 0 else H'),
        ]),
        ('bias=False ignored', [
            ('        per_direction = 4 * H * (D + H) + (8 * H if bias else 0)',
             '        per_direction = 4 * H * (D + H) + 8 * H'),
        ]),
        # whole answer: a different algorithm: counts a built nn.LSTM's parameters
        ('counts the parameters of an nn.LSTM instead of using the formula', '''
def lstm_param_count(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    lstm = nn.LSTM(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional, bias=bias)
    return sum(p.numel() for p in lstm.parameters())
'''),
        ('bias vectors counted once per layer, not per direction', [
            ('        per_direction = 4 * H * (D + H) + (8 * H if bias else 0)\n'
             '        total += directions * per_direction',
             '        total += directions * 4 * H * (D + H) + (8 * H if bias else 0)'),
        ]),
        ('returns a NumPy integer (np.sum over the layers)', [
            ('    H, total = hidden_size, 0', '    H, total = hidden_size, []'),
            ('        total += directions * per_direction', '        total.append(directions * per_direction)'),
            ('    return total', '    return np.sum(total)'),
        ]),
    ],
    'peephole_lstm_cell': [
        ('output gate looks at c_{t-1} instead of the new c_t', [
            ('    o = torch.sigmoid(a_o + p_o * c)                         # the output gate sees the new cell state',
             '    o = torch.sigmoid(a_o + p_o * c_prev)'),
        ]),
        ('p_i and p_f swapped', [
            ('    i = torch.sigmoid(a_i + p_i * c_prev)\n'
             '    f = torch.sigmoid(a_f + p_f * c_prev)',
             '    i = torch.sigmoid(a_i + p_f * c_prev)\n'
             '    f = torch.sigmoid(a_f + p_i * c_prev)'),
        ]),
        ('peephole term added after the sigmoid', [
            ('    o = torch.sigmoid(a_o + p_o * c)                         # the output gate sees the new cell state',
             '    o = torch.sigmoid(a_o) + p_o * c'),
            ('    i = torch.sigmoid(a_i + p_i * c_prev)\n'
             '    f = torch.sigmoid(a_f + p_f * c_prev)',
             '    i = torch.sigmoid(a_i) + p_i * c_prev\n'
             '    f = torch.sigmoid(a_f) + p_f * c_prev'),
        ]),
        ('no peephole on the forget gate', [
            ('    f = torch.sigmoid(a_f + p_f * c_prev)',
             '    f = torch.sigmoid(a_f)'),
        ]),
        ('peepholes look at h_prev instead of the cell state', [
            ('    i = torch.sigmoid(a_i + p_i * c_prev)',
             '    i = torch.sigmoid(a_i + p_i * h_prev)'),
            ('    f = torch.sigmoid(a_f + p_f * c_prev)',
             '    f = torch.sigmoid(a_f + p_f * h_prev)'),
            ('    o = torch.sigmoid(a_o + p_o * c)                         # the output gate sees the new cell state',
             '    o = torch.sigmoid(a_o + p_o * h_prev)'),
        ]),
        ('output-gate peephole looks at tanh(c_t)', [
            ('    o = torch.sigmoid(a_o + p_o * c)                         # the output gate sees the new cell state',
             '    o = torch.sigmoid(a_o + p_o * torch.tanh(c))'),
        ]),
        # whole answer: delegates to the course's reference implementation, imported under another name
        ("delegates to the course's reference", '''
from course_lib.layers.lstm import peephole_lstm_cell as _course_peephole

def peephole_lstm_cell(x, state, W_ih, W_hh, b_ih, b_hh, p_i, p_f, p_o):
    return _course_peephole(x, state, W_ih, W_hh, b_ih, b_hh, p_i, p_f, p_o)
'''),
    ],
}

# Issue 10, held-out red-team pass: realistic wrong answers, written from the exercise text alone, that
# exposed a gap (each passed the visible tests, or every test, before the checks they now fail were added).
BUGS['lstm_cell_forward_np'] += [
    ("the pre-activation cast to float32 (c and h come back float64, right to ~1e-7 only)", [
        ("    a = x @ W_ih.T", "    a = (x @ W_ih.T).astype(np.float32)")]),
]
BUGS['lstm_cell'] += [
    ("the pre-activations promoted to float64 \"for accuracy\" (a float32 step returns float64)", [
        ("    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)", "    a = a.double()\n    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)")]),
    ("the cell state updated in place: c_prev.mul_(f).add_(i * g)", [
        ("    c = torch.sigmoid(a_f) * c_prev + torch.sigmoid(a_i) * torch.tanh(a_g)",
         "    c = c_prev.mul_(torch.sigmoid(a_f)).add_(torch.sigmoid(a_i) * torch.tanh(a_g))")]),
]
BUGS['lstm_module'] += [
    ("c detached after every step (right values, gradient cut through the cell state)", [
        ("            outputs.append(h)", "            outputs.append(h)\n            c = c.detach()")]),
    ("the zero state made with torch.zeros (float32 whatever the input's dtype)", [
        ("zeros = xs.new_zeros(B, self.hidden_size)", "zeros = torch.zeros(B, self.hidden_size)")]),
    ("the given state read with .squeeze() (fails for hidden_size 1)", [
        ("h, c = state[0][0], state[1][0]", "h, c = state[0].squeeze(), state[1].squeeze()")]),
]
BUGS['peephole_lstm_cell'] += [
    ("the cell state updated in place: c_prev.mul_(f).add_(i * g) (right values, the caller's c_prev changed)", [
        ("    c = f * c_prev + i * torch.tanh(a_g)", "    c = c_prev.mul_(f).add_(i * torch.tanh(a_g))")]),
]
