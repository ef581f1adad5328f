"""Gates: learned valves with values in (0, 1) that decide, element by element, how much of a signal
passes. The building blocks of the LSTM and the GRU (Days 02-04)."""
from __future__ import annotations

import torch
from torch import nn


def gate(x: torch.Tensor, h: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """sigmoid([x, h] W^T + b). x: (B, D), h: (B, H), W: (H_out, D + H), b: (H_out,) -> (B, H_out) in (0, 1)."""
    if x.dim() != 2 or h.dim() != 2 or x.shape[0] != h.shape[0]:
        raise ValueError(f"x must be (B, D) and h (B, H) with the same B, got {tuple(x.shape)} and {tuple(h.shape)}")
    if W.dim() != 2 or W.shape[1] != x.shape[1] + h.shape[1] or b.shape != (W.shape[0],):
        raise ValueError(f"W must be (H_out, D + H) = (?, {x.shape[1] + h.shape[1]}) and b (H_out,), "
                         f"got {tuple(W.shape)} and {tuple(b.shape)}")
    return torch.sigmoid(torch.cat([x, h], dim=1) @ W.T + b)   # (B, H_out)


def gated_update(h_prev: torch.Tensor, candidate: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Interpolate between keeping the old state and writing the new one: z * h_prev + (1 - z) * candidate.
    All (B, H); z = 1 keeps h_prev, z = 0 replaces it (the GRU's update)."""
    if not h_prev.shape == candidate.shape == z.shape:
        raise ValueError(f"h_prev, candidate and z must have one shape, got {tuple(h_prev.shape)}, "
                         f"{tuple(candidate.shape)}, {tuple(z.shape)}")
    return z * h_prev + (1 - z) * candidate


def init_forget_bias_(lstm: nn.Module, value: float = 1.0) -> nn.Module:
    """Set an LSTM's forget-gate bias so that b_ih + b_hh = `value` for the forget block (rows H:2H of
    every bias_ih*/bias_hh* parameter, PyTorch's gate order i, f, g, o), in place. With value 1 the gates
    start mostly open (sigmoid(1) = 0.73), so the cell state and its gradient survive many steps early in
    training (Jozefowicz et al., 2015). Works on nn.LSTM, nn.LSTMCell and the course's LSTM/LSTMCell;
    refuses anything else (a GRU has no forget gate: rows H:2H of its biases are the update gate)."""
    H = lstm.hidden_size
    biases = [(name, p) for name, p in lstm.named_parameters() if name.startswith(("bias_ih", "bias_hh"))]
    for name, p in biases:
        if p.shape[0] != 4 * H:
            kind = {3 * H: "a GRU (gates r, z, n: no forget gate; rows H:2H are its update gate)",
                    H: "a plain RNN (no gates)"}.get(p.shape[0], f"not an LSTM ({p.shape[0]} bias rows)")
            raise ValueError(f"init_forget_bias_ needs an LSTM, whose {name} has 4 * hidden_size = {4 * H} "
                             f"rows (gates i, f, g, o); {type(lstm).__name__}.{name} has {p.shape[0]}: "
                             f"this is {kind}")
    found = False
    with torch.no_grad():
        for name, p in biases:
            if name.startswith("bias_ih"):
                p[H:2 * H] = value
                found = True
            elif name.startswith("bias_hh"):
                p[H:2 * H] = 0.0
    if not found:
        raise ValueError("this module has no bias_ih parameters: is it an LSTM with bias=True?")
    return lstm
