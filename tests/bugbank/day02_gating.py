"""Wrong answers for Day 02 (gating)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'gate': [
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('tanh instead of sigmoid', '''
def gate(x, h, W, b):
    return torch.tanh(torch.cat([x, h], dim=1) @ W.T + b)
'''),
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('concatenated in the wrong order, [h, x]', '''
def gate(x, h, W, b):
    return torch.sigmoid(torch.cat([h, x], dim=1) @ W.T + b)
'''),
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('bias added after the sigmoid', '''
def gate(x, h, W, b):
    return torch.sigmoid(torch.cat([x, h], dim=1) @ W.T) + b
'''),
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('W not transposed', '''
def gate(x, h, W, b):
    return torch.sigmoid(torch.cat([x, h], dim=1) @ W + b)
'''),
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('sigmoid written as exp(a) / (1 + exp(a)): NaN when a is large', '''
def gate(x, h, W, b):
    a = torch.cat([x, h], dim=1) @ W.T + b
    return torch.exp(a) / (1 + torch.exp(a))
'''),
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('computed in NumPy: no gradient reaches W, b, x or h', '''
def gate(x, h, W, b):
    a = (torch.cat([x, h], dim=1) @ W.T + b).detach().numpy()
    return torch.from_numpy(1 / (1 + np.exp(-a)))
'''),
        # whole answer: written differently from the solution (2 of 3 code lines differ)
        ('squeezes the result: batch 1 loses its batch axis', '''
def gate(x, h, W, b):
    return torch.sigmoid(torch.cat([x, h], dim=1) @ W.T + b).squeeze()
'''),
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
        # whole answer: written differently from the solution (3 of 7 code lines differ)
        ('W transposed in the step Jacobian', '''
def multiplicative_jacobian(h0, W, xs):
    h, J = h0, torch.eye(h0.shape[0], dtype=h0.dtype)
    for x in xs:
        h = torch.tanh(W @ h + x)
        J = ((1 - h ** 2)[:, None] * W.T) @ J
    return J
'''),
        # whole answer: written differently from the solution (4 of 7 code lines differ)
        ("tanh' evaluated at the state before the step", '''
def multiplicative_jacobian(h0, W, xs):
    h, J = h0, torch.eye(h0.shape[0], dtype=h0.dtype)
    for x in xs:
        J = ((1 - h ** 2)[:, None] * W) @ J
        h = torch.tanh(W @ h + x)
    return J
'''),
        # whole answer: written differently from the solution (4 of 7 code lines differ)
        ("tanh' forgotten: only powers of W", '''
def multiplicative_jacobian(h0, W, xs):
    J = torch.eye(h0.shape[0], dtype=h0.dtype)
    for x in xs:
        J = W @ J
    return J
'''),
        # whole answer: written differently from the solution (3 of 7 code lines differ)
        ("new step's Jacobian multiplied on the right", '''
def multiplicative_jacobian(h0, W, xs):
    h, J = h0, torch.eye(h0.shape[0], dtype=h0.dtype)
    for x in xs:
        h = torch.tanh(W @ h + x)
        J = J @ ((1 - h ** 2)[:, None] * W)
    return J
'''),
        # whole answer: written differently from the solution (6 of 7 code lines differ)
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
        # whole answer: written differently from the solution (4 of 9 code lines differ)
        ('direct path forgotten (no diag(f))', '''
def additive_jacobian(c0, W, xs, f, i):
    c, J = c0, torch.eye(c0.shape[0], dtype=c0.dtype)
    for x_t, f_t, i_t in zip(xs, f, i):
        g = torch.tanh(W @ c + x_t)
        c = f_t * c + i_t * g
        J = ((i_t * (1 - g ** 2))[:, None] * W) @ J
    return J
'''),
        # whole answer: written differently from the solution (8 of 9 code lines differ)
        ('candidate branch forgotten: only the product of the forget gates', '''
def additive_jacobian(c0, W, xs, f, i):
    return torch.diag(f.prod(dim=0)) if len(f) else torch.eye(c0.shape[0], dtype=c0.dtype)
'''),
        # whole answer: written differently from the solution (6 of 9 code lines differ)
        ("tanh' evaluated at the new state c_t instead of g_t", '''
def additive_jacobian(c0, W, xs, f, i):
    c, J = c0, torch.eye(c0.shape[0], dtype=c0.dtype)
    for x_t, f_t, i_t in zip(xs, f, i):
        c = f_t * c + i_t * torch.tanh(W @ c + x_t)
        J = (torch.diag(f_t) + (i_t * (1 - torch.tanh(c) ** 2))[:, None] * W) @ J
    return J
'''),
        # whole answer: written differently from the solution (4 of 9 code lines differ)
        ("new step's Jacobian multiplied on the right", '''
def additive_jacobian(c0, W, xs, f, i):
    c, J = c0, torch.eye(c0.shape[0], dtype=c0.dtype)
    for x_t, f_t, i_t in zip(xs, f, i):
        g = torch.tanh(W @ c + x_t)
        c = f_t * c + i_t * g
        J = J @ (torch.diag(f_t) + (i_t * (1 - g ** 2))[:, None] * W)
    return J
'''),
        # whole answer: written differently from the solution (6 of 9 code lines differ)
        ("state never advanced: every step's Jacobian taken at c_0", '''
def additive_jacobian(c0, W, xs, f, i):
    J = torch.eye(c0.shape[0], dtype=c0.dtype)
    for x_t, f_t, i_t in zip(xs, f, i):
        g = torch.tanh(W @ c0 + x_t)
        J = (torch.diag(f_t) + (i_t * (1 - g ** 2))[:, None] * W) @ J
    return J
'''),
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
        # whole answer: written differently from the solution (6 of 9 code lines differ)
        ('without torch.no_grad: in-place change of a parameter fails', '''
def init_forget_bias(lstm, value=1.0):
    H = lstm.hidden_size
    for name, p in lstm.named_parameters():
        if name.startswith("bias_ih"):
            p[H:2 * H] = value
        elif name.startswith("bias_hh"):
            p[H:2 * H] = 0.0
    return lstm
'''),
        # whole answer: written differently from the solution (5 of 9 code lines differ)
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
        # whole answer: written differently from the solution (6 of 9 code lines differ)
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
