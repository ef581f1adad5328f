"""What every recurrent layer in the course shares: PyTorch's parameter names and initialisation, stacking
(`num_layers`), both directions (`bidirectional`), `batch_first`, initial states and dropout between
layers. A subclass supplies only the one-step cell. With the same weights (see `copy_weights`) the
subclasses match nn.RNN, nn.LSTM and nn.GRU output for output.

Weights of layer k (suffix `_reverse` for the backward direction), G = number of gate blocks:
    weight_ih_l{k}: (G*H, D_k)   D_0 = input_size, D_k = H * num_directions for k > 0
    weight_hh_l{k}: (G*H, H)     bias_ih_l{k}, bias_hh_l{k}: (G*H,)
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

State = Any  # a tensor h (RNN, GRU) or a tuple (h, c) (LSTM), each (B, H)


class Recurrent(nn.Module):
    """Base class: subclasses set `blocks` (weight blocks: RNN 1, GRU 3, LSTM 4) and implement `cell(x, state, W_ih, W_hh, b_ih, b_hh)`."""

    blocks: int = 1
    has_cell_state: bool = False  # LSTM: state is (h, c) and forward takes/returns a tuple

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False):
        super().__init__()
        if input_size < 1 or hidden_size < 1 or num_layers < 1:
            raise ValueError(f"input_size, hidden_size and num_layers must be >= 1, "
                             f"got {input_size}, {hidden_size}, {num_layers}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        self.bidirectional = bidirectional
        self.num_directions = 2 if bidirectional else 1
        G, H = self.blocks, hidden_size
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else H * self.num_directions
            for sfx in self._suffixes(layer):
                setattr(self, f"weight_ih{sfx}", nn.Parameter(torch.empty(G * H, layer_in)))
                setattr(self, f"weight_hh{sfx}", nn.Parameter(torch.empty(G * H, H)))
                if bias:
                    setattr(self, f"bias_ih{sfx}", nn.Parameter(torch.empty(G * H)))
                    setattr(self, f"bias_hh{sfx}", nn.Parameter(torch.empty(G * H)))
        self.reset_parameters()

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.num_directions]

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _weights(self, sfx: str) -> tuple[torch.Tensor, ...]:
        b_ih = getattr(self, f"bias_ih{sfx}") if self.bias else None
        b_hh = getattr(self, f"bias_hh{sfx}") if self.bias else None
        return getattr(self, f"weight_ih{sfx}"), getattr(self, f"weight_hh{sfx}"), b_ih, b_hh

    def cell(self, x: torch.Tensor, state: State, W_ih: torch.Tensor, W_hh: torch.Tensor,
             b_ih: torch.Tensor | None, b_hh: torch.Tensor | None) -> State:
        """One step: x (B, D_k), state (B, H) or ((B, H), (B, H)) -> the new state."""
        raise NotImplementedError

    def _state_parts(self, state: Any, expected: tuple[int, ...], context: str, layout: str) -> tuple[Any, ...]:
        """The tensors of a given initial state, h0 or an LSTM's (h0, c0), each checked to have shape
        `expected` (`layout` in words); errors start with `context`."""
        if self.has_cell_state and (not isinstance(state, tuple) or len(state) != 2):
            got = f"a tuple of length {len(state)}" if isinstance(state, tuple) else type(state).__name__
            raise TypeError(f"the initial state of an LSTM is a tuple (h0, c0), got {got}")
        parts = state if self.has_cell_state else (state,)
        for name, part in zip(("h0", "c0"), parts):
            if not isinstance(part, torch.Tensor) or tuple(part.shape) != expected:
                got = tuple(part.shape) if isinstance(part, torch.Tensor) else type(part).__name__
                raise ValueError(f"{context}{name} must have shape {layout} = {expected}, got {got}")
        return parts

    def _initial_state(self, state: Any, B: int, like: torch.Tensor) -> list[Any]:
        """One state per (layer, direction), in PyTorch's order l0, l0_reverse, l1, ..."""
        n, H = self.num_layers * self.num_directions, self.hidden_size
        expected = (n, B, H)
        if state is None:
            zeros = like.new_zeros(expected)
            parts = (zeros, zeros) if self.has_cell_state else (zeros,)
        else:
            parts = self._state_parts(state, expected, "", "(num_layers * num_directions, B, H)")
            for name, part in zip(("h0", "c0"), parts):
                if part.dtype != like.dtype:
                    raise TypeError(f"{name} has dtype {part.dtype} but the input is {like.dtype}")
        if self.has_cell_state:
            return [(parts[0][i], parts[1][i]) for i in range(n)]
        return [parts[0][i] for i in range(n)]

    def forward(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """x: (T, B, D), or (B, T, D) if batch_first, or unbatched (T, D). state: h0 (L*dirs, B, H) — (L*dirs, H)
        for unbatched input —, for an LSTM the tuple (h0, c0); None = zeros.
        Returns (output, final state): output (T, B, dirs*H) [(B, T, dirs*H) if batch_first, (T, dirs*H)
        unbatched] holds the last layer's h_t; the final state has the same layout as the initial one."""
        if not isinstance(x, torch.Tensor) or x.dim() not in (2, 3):
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            layout = "(B, T, D)" if self.batch_first else "(T, B, D)"
            raise ValueError(f"x must be 3-D, {layout} with D = {self.input_size}, or unbatched (T, D); got {got}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"x has feature size {x.shape[-1]}, expected input_size = {self.input_size} "
                             f"(x shape {tuple(x.shape)})")
        if x.dtype != self.weight_ih_l0.dtype:
            raise TypeError(f"x has dtype {x.dtype} but the weights are {self.weight_ih_l0.dtype}")
        time_dim = 1 if (self.batch_first and x.dim() == 3) else 0
        if x.shape[time_dim] == 0:
            raise ValueError(f"x has no time steps (T = 0, x shape {tuple(x.shape)}); a recurrent layer needs "
                             f"sequences of length >= 1")
        if x.dim() == 2:  # unbatched, as nn.RNN/LSTM/GRU allow: run as a batch of one
            if state is not None:
                self._state_parts(state, (self.num_layers * self.num_directions, self.hidden_size),
                                  f"for unbatched input x {tuple(x.shape)}, ", "(num_layers * num_directions, H)")
                state = tuple(s.unsqueeze(1) for s in state) if self.has_cell_state else state.unsqueeze(1)
            output, final = Recurrent.forward(self, x.unsqueeze(1 if not self.batch_first else 0), state)
            output = output.squeeze(1 if not self.batch_first else 0)
            final = tuple(f.squeeze(1) for f in final) if self.has_cell_state else final.squeeze(1)
            return output, final
        layer_input = x.transpose(0, 1) if self.batch_first else x      # (T, B, D)
        T, B, _ = layer_input.shape
        states = self._initial_state(state, B, layer_input)
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for d, sfx in enumerate(self._suffixes(layer)):
                s = states[layer * self.num_directions + d]
                weights = self._weights(sfx)
                steps = range(T - 1, -1, -1) if d == 1 else range(T)
                hs = [None] * T
                for t in steps:
                    s = self.cell(layer_input[t], s, *weights)
                    hs[t] = s[0] if self.has_cell_state else s            # (B, H)
                outputs.append(torch.stack(hs))                          # (T, B, H)
                finals.append(s)
            layer_input = torch.cat(outputs, dim=-1)                     # (T, B, dirs*H)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = nn.functional.dropout(layer_input, self.dropout, training=True)
        output = layer_input.transpose(0, 1) if self.batch_first else layer_input
        if self.has_cell_state:
            return output, (torch.stack([h for h, _ in finals]), torch.stack([c for _, c in finals]))
        return output, torch.stack(finals)                               # (L*dirs, B, H)

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, bias={self.bias}, "
                f"batch_first={self.batch_first}, dropout={self.dropout}, bidirectional={self.bidirectional}")


def copy_weights(src: nn.Module, dst: nn.Module) -> None:
    """Copy all parameters of `src` into `dst`, matched by name, in either direction between a torch.nn
    recurrent module (nn.RNN/LSTM/GRU and their Cell versions) and the course's versions. A one-layer
    module without layer suffixes (weight_ih) matches nn's `weight_ih_l0`. Shapes must agree, and so must
    the nonlinearity: the course's RNNs use tanh, so an nn.RNN(nonlinearity="relu") is refused (with the
    same weights its outputs would differ)."""
    act_src, act_dst = (getattr(m, "nonlinearity", "tanh") for m in (src, dst))
    if act_src != act_dst:
        raise ValueError(f"copy_weights: the source {type(src).__name__} uses nonlinearity={act_src!r}, the "
                         f"destination {type(dst).__name__} uses {act_dst!r}: with the same weights their "
                         f"outputs would differ (the course's RNNs use 'tanh')")

    def names(module: nn.Module) -> dict[str, nn.Parameter]:
        return dict(module.named_parameters())

    s, d = names(src), names(dst)
    if set(s) != set(d):
        def strip(params: dict[str, nn.Parameter]) -> dict[str, nn.Parameter]:
            return {n[:-3] if n.endswith("_l0") else n: p for n, p in params.items()}
        s, d = strip(s), strip(d)
    if set(s) != set(d):
        raise ValueError(f"parameter names differ: source has {sorted(s)}, destination has {sorted(d)}")
    for name, p in d.items():  # check every shape before copying anything: a failed copy changes nothing
        if p.shape != s[name].shape:
            raise ValueError(f"{name}: source shape {tuple(s[name].shape)}, destination shape {tuple(p.shape)}")
    with torch.no_grad():
        for name, p in d.items():
            p.copy_(s[name])


def sigmoid_np(a: np.ndarray) -> np.ndarray:
    """The logistic function, 1 / (1 + exp(-a))."""
    return 1.0 / (1.0 + np.exp(-a))


def check_upstream_np(name: str, grads: dict[str, object], expected: tuple[int, ...]) -> None:
    """Raise a TypeError/ValueError naming the expected and actual shape unless every upstream gradient is
    a numpy array of exactly the shape of the step's state, (B, H) (NumPy would broadcast silently)."""
    for arg, value in grads.items():
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{name}: {arg} must be a numpy array of shape (B, H) = {tuple(expected)}, "
                            f"got {type(value).__name__}")
        if value.shape != tuple(expected):
            raise ValueError(f"{name}: {arg} must have the shape of the step's state, (B, H) = "
                             f"{tuple(expected)}, got {value.shape}")


def check_cell_args_np(x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray | None, W_ih: np.ndarray,
                       W_hh: np.ndarray, b_ih: np.ndarray, b_hh: np.ndarray, blocks: int, name: str) -> None:
    """Raise a TypeError/ValueError naming the expected and actual shape unless the arguments of a NumPy
    cell fit together: x (B, D), h_prev and c_prev (B, H), W_ih (G*H, D), W_hh (G*H, H), biases (G*H,)."""
    args = {"x": x, "h_prev": h_prev, "W_ih": W_ih, "W_hh": W_hh, "b_ih": b_ih, "b_hh": b_hh}
    if c_prev is not None:
        args["c_prev"] = c_prev
    for arg, value in args.items():
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{name}: {arg} must be a numpy array, got {type(value).__name__}")
    if W_ih.ndim != 2 or W_ih.shape[0] % blocks:
        raise ValueError(f"{name}: W_ih must have shape ({blocks}*H, D), got {W_ih.shape}")
    if x.ndim != 2:
        raise ValueError(f"{name}: x must have shape (B, {W_ih.shape[1]}), got {x.shape}")
    G, (GH, D), B = blocks, W_ih.shape, x.shape[0]
    H = GH // G
    want = {"x": (B, D), "h_prev": (B, H), "c_prev": (B, H), "W_hh": (GH, H), "b_ih": (GH,), "b_hh": (GH,)}
    for arg, value in args.items():
        if arg in want and value.shape != want[arg]:
            raise ValueError(f"{name}: {arg} must have shape {want[arg]}, got {value.shape}")


def param_count(blocks: int, input_size: int, hidden_size: int, num_layers: int = 1,
                bidirectional: bool = False, bias: bool = True) -> int:
    """Parameters of a torch.nn recurrent layer with `blocks` weight blocks (RNN 1, GRU 3, LSTM 4): per layer and
    direction G*H*(D_k + H) weights plus 2*G*H biases, D_0 = input_size, D_k = H * directions."""
    dirs = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        d_in = input_size if layer == 0 else hidden_size * dirs
        total += dirs * (blocks * hidden_size * (d_in + hidden_size) + (2 * blocks * hidden_size if bias else 0))
    return total
