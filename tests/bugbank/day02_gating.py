"""Wrong answers for Day 02 (gating)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'gate': [
        ('tanh instead of sigmoid', [
            ('    return torch.sigmoid(xh @ W.T + b)   # (B, G)',
             '    return torch.tanh(xh @ W.T + b)   # (B, G)'),
        ]),
        ('concatenated in the wrong order, [h, x]', [
            ('    xh = torch.cat([x, h], dim=1)        # (B, D + H)',
             '    xh = torch.cat([h, x], dim=1)        # (B, D + H)'),
        ]),
        ('bias added after the sigmoid', [
            ('    return torch.sigmoid(xh @ W.T + b)   # (B, G)',
             '    return torch.sigmoid(xh @ W.T) + b   # (B, G)'),
        ]),
        ('W not transposed', [
            ('    return torch.sigmoid(xh @ W.T + b)   # (B, G)',
             '    return torch.sigmoid(xh @ W + b)   # (B, G)'),
        ]),
        ('sigmoid written as exp(a) / (1 + exp(a)): NaN when a is large', [
            ('    return torch.sigmoid(xh @ W.T + b)   # (B, G)',
             '    a = xh @ W.T + b\n'
             '    return torch.exp(a) / (1 + torch.exp(a))   # (B, G)'),
        ]),
        ('computed in NumPy: no gradient reaches W, b, x or h', [
            ('    return torch.sigmoid(xh @ W.T + b)   # (B, G)',
             '    a = (xh @ W.T + b).detach().numpy()\n'
             '    return torch.from_numpy(1 / (1 + np.exp(-a)))   # (B, G)'),
        ]),
        ('squeezes the result: batch 1 loses its batch axis', [
            ('    return torch.sigmoid(xh @ W.T + b)   # (B, G)',
             '    return torch.sigmoid(xh @ W.T + b).squeeze()   # (B, G)'),
        ]),
    ],
    'gated_update': [
        ('roles of z swapped: z = 1 overwrites', [
            ('    return z * h_prev + (1 - z) * candidate   # (B, H)',
             '    return z * candidate + (1 - z) * h_prev'),
        ]),
        ('gate applied to the old state only', [
            ('    return z * h_prev + (1 - z) * candidate   # (B, H)',
             '    return z * h_prev + candidate'),
        ]),
        ('a hard switch instead of a blend', [
            ('    return z * h_prev + (1 - z) * candidate   # (B, H)',
             '    return torch.where(z > 0.5, h_prev, candidate)'),
        ]),
        ('one gate value per example (z averaged over the units), not element-wise', [
            ('    return z * h_prev + (1 - z) * candidate   # (B, H)',
             '    z = z.mean(dim=1, keepdim=True)\n'
             '    return z * h_prev + (1 - z) * candidate   # (B, H)'),
        ]),
        ("in place: overwrites the caller's h_prev", [
            ('    return z * h_prev + (1 - z) * candidate   # (B, H)',
             '    return h_prev.mul_(z).add_((1 - z) * candidate)'),
        ]),
    ],
    'multiplicative_jacobian': [
        ('W transposed in the step Jacobian', [
            ('        J = ((1 - h ** 2)[:, None] * W) @ J                         # diag(1 - h_t^2) W, on the left',
             '        J = ((1 - h ** 2)[:, None] * W.T) @ J                         # diag(1 - h_t^2) W, on the left'),
        ]),
        ("tanh' evaluated at the state before the step", [
            ('        h = torch.tanh(W @ h + x)                                   # (H,)\n'
             '        J = ((1 - h ** 2)[:, None] * W) @ J                         # diag(1 - h_t^2) W, on the left',
             '        J = ((1 - h ** 2)[:, None] * W) @ J                         # diag(1 - h_t^2) W, on the left\n'
             '        h = torch.tanh(W @ h + x)                                   # (H,)'),
        ]),
        ("tanh' forgotten: only powers of W", [
            ('        J = ((1 - h ** 2)[:, None] * W) @ J                         # diag(1 - h_t^2) W, on the left',
             '        J = W @ J'),
        ]),
        ("new step's Jacobian multiplied on the right", [
            ('        J = ((1 - h ** 2)[:, None] * W) @ J                         # diag(1 - h_t^2) W, on the left',
             '        J = J @ ((1 - h ** 2)[:, None] * W)'),
        ]),
        # whole answer: a different algorithm: one matrix power instead of the chain of step Jacobians
        ("first step's Jacobian raised to the T-th power", '''
def multiplicative_jacobian(h0, W, xs):
    if len(xs) == 0:
        return torch.eye(h0.shape[0], dtype=h0.dtype)
    h1 = torch.tanh(W @ h0 + xs[0])
    return torch.linalg.matrix_power((1 - h1 ** 2)[:, None] * W, len(xs))
'''),
        ('identity made in float32: fails for float64 inputs', [
            ('    h = h0\n'
             '    J = torch.eye(h0.shape[0], dtype=h0.dtype, device=h0.device)   # (H, H)',
             '    h, J = h0, torch.eye(h0.shape[0])'),
        ]),
    ],
    'additive_jacobian': [
        ('direct path forgotten (no diag(f))', [
            ('        step = torch.diag(f_t) + (i_t * (1 - g ** 2))[:, None] * W         # (H, H): d c_t / d c_{t-1}',
             '        step = (i_t * (1 - g ** 2))[:, None] * W'),
        ]),
        ('candidate branch forgotten: only the product of the forget gates', [
            ('        step = torch.diag(f_t) + (i_t * (1 - g ** 2))[:, None] * W         # (H, H): d c_t / d c_{t-1}',
             '        step = torch.diag(f_t)'),
        ]),
        ("tanh' evaluated at the new state c_t instead of g_t", [
            ('        step = torch.diag(f_t) + (i_t * (1 - g ** 2))[:, None] * W         # (H, H): d c_t / d c_{t-1}\n'
             '        c = f_t * c + i_t * g                                              # (H,)',
             '        c = f_t * c + i_t * g                                              # (H,)\n'
             '        step = torch.diag(f_t) + (i_t * (1 - torch.tanh(c) ** 2))[:, None] * W'),
        ]),
        ("new step's Jacobian multiplied on the right", [
            ('        J = step @ J',
             '        J = J @ step'),
        ]),
        ("state never advanced: every step's Jacobian taken at c_0", [
            ('        g = torch.tanh(W @ c + x_t)                                        # (H,), from c_{t-1}',
             '        g = torch.tanh(W @ c0 + x_t)'),
        ]),
    ],
    'init_forget_bias': [
        ('bias set on the input-gate block (rows 0:H)', [
            ('                p[H:2 * H] = 0.0',
             '                p[:H] = 0.0'),
            ('                p[H:2 * H] = value    # rows H:2H are the forget gate',
             '                p[:H] = value'),
        ]),
        ("only bias_ih set: bias_hh's forget block still adds to it", [
            ('            elif name.startswith("bias_hh"):\n'
             '                p[H:2 * H] = 0.0\n',
             ''),
        ]),
        ('both bias vectors set to value: the forget bias becomes 2 * value', [
            ('            elif name.startswith("bias_hh"):\n'
             '                p[H:2 * H] = 0.0\n',
             ''),
            ('            if name.startswith("bias_ih"):',
             '            if name.startswith("bias"):'),
        ]),
        ("TensorFlow's gate order i, g, f, o: rows 2H:3H", [
            ('                p[H:2 * H] = 0.0',
             '                p[2 * H:3 * H] = 0.0'),
            ('                p[H:2 * H] = value    # rows H:2H are the forget gate',
             '                p[2 * H:3 * H] = value'),
        ]),
        ('without torch.no_grad: in-place change of a parameter fails', [
            ('    with torch.no_grad():\n'
             '        for name, p in lstm.named_parameters():\n'
             '            if name.startswith("bias_ih"):\n'
             '                p[H:2 * H] = value    # rows H:2H are the forget gate\n'
             '            elif name.startswith("bias_hh"):\n'
             '                p[H:2 * H] = 0.0',
             '    for name, p in lstm.named_parameters():\n'
             '        if name.startswith("bias_ih"):\n'
             '            p[H:2 * H] = value    # rows H:2H are the forget gate\n'
             '        elif name.startswith("bias_hh"):\n'
             '            p[H:2 * H] = 0.0'),
        ]),
        # whole answer: a different structure: two named parameters instead of a loop over all of them
        ("only the first layer's forward direction", '''
def init_forget_bias(lstm, value=1.0):
    H = lstm.hidden_size
    with torch.no_grad():
        lstm.bias_ih_l0[H:2 * H] = value
        lstm.bias_hh_l0[H:2 * H] = 0.0
    return lstm
'''),
        ("other gates' biases zeroed too", [
            ('                p[H:2 * H] = 0.0',
             '                p.zero_()'),
            ('                p[H:2 * H] = value    # rows H:2H are the forget gate',
             '                p.zero_()\n'
             '                p[H:2 * H] = value    # rows H:2H are the forget gate'),
        ]),
        # whole answer: a different loop structure: over num_layers and directions
        ('loops over num_layers: fails on nn.LSTMCell', '''
def init_forget_bias(lstm, value=1.0):
    H = lstm.hidden_size
    suffixes = ["", "_reverse"] if lstm.bidirectional else [""]
    with torch.no_grad():
        for k in range(lstm.num_layers):
            for sfx in suffixes:
                getattr(lstm, f"bias_ih_l{k}{sfx}")[H:2 * H] = value
                getattr(lstm, f"bias_hh_l{k}{sfx}")[H:2 * H] = 0.0
    return lstm
'''),
    ],
}
