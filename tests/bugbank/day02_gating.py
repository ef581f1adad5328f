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
             '    return torch.from_numpy(1 / (1 + np.exp(-np.clip(a, -500, 500))))   # (B, G)'),
        ]),
        ('squeezes the result: batch 1 loses its batch axis', [
            ('    return torch.sigmoid(xh @ W.T + b)   # (B, G)',
             '    return torch.sigmoid(xh @ W.T + b).squeeze()   # (B, G)'),
        ]),
        ('softmax over the gate units instead of a sigmoid per unit', [
            ('    return torch.sigmoid(xh @ W.T + b)   # (B, G)',
             '    return torch.softmax(xh @ W.T + b, dim=1)   # (B, G)'),
        ]),
        ('weights cast to float32: float64 inputs come back as float32', [
            ('    return torch.sigmoid(xh @ W.T + b)   # (B, G)',
             '    return torch.sigmoid(xh.float() @ W.T.float() + b.float())   # (B, G)'),
        ]),
        # whole answer: W split into its x and h parts, but at the wrong column (H instead of D)
        ('W split at column H instead of D', '''
def gate(x, h, W, b):
    H = h.shape[1]
    W_x, W_h = W[:, :H], W[:, H:]
    return torch.sigmoid(x @ W_x.T + h @ W_h.T + b)
'''),
        ('computed in float32, then cast back to the input dtype', [
            ('    return torch.sigmoid(xh @ W.T + b)   # (B, G)',
             '    return torch.sigmoid(xh.float() @ W.T.float() + b.float()).to(x.dtype)   # (B, G)'),
        ]),
        ('x and h concatenated along the batch axis (dim=0)', [
            ('    xh = torch.cat([x, h], dim=1)        # (B, D + H)',
             '    xh = torch.cat([x, h], dim=0)        # (B, D + H)'),
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
        ("the first example's gate used for the whole batch", [
            ('    return z * h_prev + (1 - z) * candidate   # (B, H)',
             '    return z[0] * h_prev + (1 - z[0]) * candidate'),
        ]),
        ("in place: overwrites the caller's h_prev", [
            ('    return z * h_prev + (1 - z) * candidate   # (B, H)',
             '    return h_prev.mul_(z).add_((1 - z) * candidate)'),
        ]),
        ("in place: the candidate scaled in place", [
            ('    return z * h_prev + (1 - z) * candidate   # (B, H)',
             '    candidate *= 1 - z\n'
             '    return z * h_prev + candidate'),
        ]),
        ('parenthesis misplaced: 1 - z * candidate', [
            ('    return z * h_prev + (1 - z) * candidate   # (B, H)',
             '    return z * h_prev + (1 - z * candidate)'),
        ]),
        ('the gate treated as a constant: no gradient reaches z', [
            ('    return z * h_prev + (1 - z) * candidate   # (B, H)',
             '    z = z.detach()\n'
             '    return z * h_prev + (1 - z) * candidate   # (B, H)'),
        ]),
        ('delegates to torch.lerp, which the exercise bans', [
            ('    return z * h_prev + (1 - z) * candidate   # (B, H)',
             '    return torch.lerp(candidate, h_prev, z)'),
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
        ("diag(1 - h^2) on the right of W: columns scaled instead of rows", [
            ('        J = ((1 - h ** 2)[:, None] * W) @ J                         # diag(1 - h_t^2) W, on the left',
             '        J = (W * (1 - h ** 2)[None, :]) @ J'),
        ]),
        # whole answer: a different algorithm: one matrix power instead of the chain of step Jacobians
        ("first step's Jacobian raised to the T-th power", '''
def multiplicative_jacobian(h0, W, xs):
    if len(xs) == 0:
        return torch.eye(h0.shape[0], dtype=h0.dtype)
    h1 = torch.tanh(W @ h0 + xs[0])
    return torch.linalg.matrix_power((1 - h1 ** 2)[:, None] * W, len(xs))
'''),
        ("state never advanced: every factor taken at h_1", [
            ('        h = torch.tanh(W @ h + x)                                   # (H,)\n',
             '        h = torch.tanh(W @ h0 + x)                                  # (H,)\n'),
        ]),
        ('identity made in float32: fails for float64 inputs', [
            ('    h = h0\n'
             '    J = torch.eye(h0.shape[0], dtype=h0.dtype, device=h0.device)   # (H, H)',
             '    h, J = h0, torch.eye(h0.shape[0])'),
        ]),
        # whole answer: starts from the first factor, so T = 0 is not handled
        ('no identity to start from: T = 0 returns None', '''
def multiplicative_jacobian(h0, W, xs):
    h, J = h0, None
    for x in xs:
        h = torch.tanh(W @ h + x)
        step = torch.diag(1 - h ** 2) @ W
        J = step if J is None else step @ J
    return J
'''),
        ('asks autograd for the Jacobian, which the exercise bans', '''
def multiplicative_jacobian(h0, W, xs):
    def unroll(h):
        for x in xs:
            h = torch.tanh(W @ h + x)
        return h
    return torch.autograd.functional.jacobian(unroll, h0)
'''),
        ('state advanced in place on h = h0: the caller\'s h0 is overwritten', [
            ('        h = torch.tanh(W @ h + x)                                   # (H,)',
             '        h.copy_(torch.tanh(W @ h + x))'),
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
        ('the input gate left out of the candidate branch', [
            ('        step = torch.diag(f_t) + (i_t * (1 - g ** 2))[:, None] * W         # (H, H): d c_t / d c_{t-1}',
             '        step = torch.diag(f_t) + (1 - g ** 2)[:, None] * W'),
        ]),
        ('broadcasting without [:, None]: the columns of W scaled instead of its rows', [
            ('        step = torch.diag(f_t) + (i_t * (1 - g ** 2))[:, None] * W         # (H, H): d c_t / d c_{t-1}',
             '        step = torch.diag(f_t) + i_t * (1 - g ** 2) * W'),
        ]),
        ('f and i swapped in the step Jacobian', [
            ('        step = torch.diag(f_t) + (i_t * (1 - g ** 2))[:, None] * W         # (H, H): d c_t / d c_{t-1}',
             '        step = torch.diag(i_t) + (f_t * (1 - g ** 2))[:, None] * W'),
        ]),
        ('the Jacobians multiplied element by element, as if they were diagonal', [
            ('        J = step @ J',
             '        J = J * step'),
        ]),
        ('steps taken in reverse order', [
            ('    for x_t, f_t, i_t in zip(xs, f, i):',
             '    for x_t, f_t, i_t in zip(xs.flip(0), f.flip(0), i.flip(0)):'),
        ]),
        ('identity made in float32: fails for float64 inputs', [
            ('    J = torch.eye(c0.shape[0], dtype=c0.dtype, device=c0.device)          # (H, H)',
             '    J = torch.eye(c0.shape[0])'),
        ]),
        ('asks autograd for the Jacobian, which the exercise bans', '''
def additive_jacobian(c0, W, xs, f, i):
    def unroll(c):
        for x_t, f_t, i_t in zip(xs, f, i):
            c = f_t * c + i_t * torch.tanh(W @ c + x_t)
        return c
    return torch.autograd.functional.jacobian(unroll, c0)
'''),
        ('state advanced in place on c = c0: the caller\'s c0 is overwritten', [
            ('        c = f_t * c + i_t * g                                              # (H,)',
             '        c.mul_(f_t).add_(i_t * g)'),
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
        # whole answer: loops over layers, but forgets the reverse direction
        ('every layer, but the forward direction only', '''
def init_forget_bias(lstm, value=1.0):
    H = lstm.hidden_size
    with torch.no_grad():
        for name, p in lstm.named_parameters():
            if name.endswith("_reverse"):
                continue
            if name.startswith("bias_ih"):
                p[H:2 * H] = value
            elif name.startswith("bias_hh"):
                p[H:2 * H] = 0.0
    return lstm
'''),
        ('value added to the forget bias instead of assigned', [
            ('                p[H:2 * H] = value    # rows H:2H are the forget gate',
             '                p[H:2 * H] += value'),
        ]),
        ('the input size taken for H', [
            ('    H = lstm.hidden_size',
             '    H = lstm.input_size'),
        ]),
        # whole answer: builds new parameters instead of changing the existing ones
        ('new nn.Parameter objects replace the old ones (not in place)', '''
def init_forget_bias(lstm, value=1.0):
    H = lstm.hidden_size
    for name, p in list(lstm.named_parameters()):
        if name.startswith(("bias_ih", "bias_hh")):
            new = p.detach().clone()
            new[H:2 * H] = value if name.startswith("bias_ih") else 0.0
            setattr(lstm, name, nn.Parameter(new))
    return lstm
'''),
        ('H read from the columns of weight_hh: wrong for an LSTM with proj_size', [
            ('    H = lstm.hidden_size',
             '    H = next(p for n, p in lstm.named_parameters() if n.startswith("weight_hh")).shape[1]'),
        ]),
    ],
}
