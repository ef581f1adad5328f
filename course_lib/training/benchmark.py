"""The course in one table: the recurrent cells of Days 01-07 measured side by side on this machine.

Four models share one shape, so that only the cell differs: embedding (V, E) -> one recurrent layer of H
units -> linear read-out over the V tokens, predicting a token at every position.

- "RNN" (tanh), "LSTM", "GRU": torch's nn.RNN / nn.LSTM / nn.GRU with PyTorch's default initialisation.
- "GRU+attention": the GRU, then causal attention over the model's OWN earlier states: at step t the state
  h_t is the query, the states h_1 .. h_t are the keys and values, the score is Luong's "general"
  q^T W k (Day 07), and the context joins h_t before the read-out (which therefore reads 2H numbers).
  With it, a symbol seen 50 steps ago is one attention hop away instead of 50 recurrent steps.

Measurements (each a plain function, so a notebook prints every cell of the table from its own run):
- `count_parameters` and `recurrent_parameter_formula`: an RNN layer has H(D + H) + 2H parameters
  (weight_ih, weight_hh, and PyTorch's two biases); a GRU has 3 times that, an LSTM 4 times (one block per
  gate or candidate). `GATES` holds the multipliers.
- `time_train_steps`: the median wall time of one training step (forward, backward, Adam step) per model
  and sequence length, all taking turns in a shuffled order, so that a busy machine slows them alike.
- `copy_recall`: train on the copy task (`course_lib.data.tasks.copy_task`, Day 04) at one distance for a
  fixed number of steps, then the recall accuracy on new sequences (guessing: 1 / n_symbols).
- `names_data`, `lm_batch`, `train_char_lm`, `nats_per_char`: the names character LM of Day 08 (the same
  80/10/10 split with seed 0), trained for a fixed number of steps; held-out nats per character.
- `ngram_nats`: Day 08's count-based baseline (add-k n-gram, order and k chosen on validation), same split.

Shapes: ids (B, T) long -> logits (B, T, V). Everything runs on the `device` given (CPU by default).
"""
from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..batching.padding import pad_sequences
from ..data.names import load_names
from ..data.splits import Splits, split_indices
from ..data.tasks import IGNORE, copy_task
from ..models.ngram import NGramLM
from ..text.vocab import Vocab, build_vocab
from .loop import train

CELLS = ("RNN", "LSTM", "GRU", "GRU+attention")
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3, "GRU+attention": 3}   # parameter blocks of the recurrent layer
_MODULES = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU, "GRU+attention": nn.GRU}
_clock = time.perf_counter   # the timer of time_train_steps (a name of its own, so that tests can replace it)


def _check_cell(cell: str) -> None:
    if cell not in _MODULES:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")


def _vocab_size(model: object, where: str) -> int:
    """The number of tokens of a model's `embed` (nn.Embedding), which the harness's functions need."""
    embed = getattr(model, "embed", None)
    if not isinstance(model, nn.Module) or not isinstance(embed, nn.Embedding):
        raise TypeError(f"{where}: the model must be an nn.Module with an `embed` nn.Embedding (a SequenceModel), "
                        f"got {type(model).__name__}")
    return embed.num_embeddings


def _check_positive_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


class SequenceModel(nn.Module):
    """Embedding (V, E) -> nn.RNN / nn.LSTM / nn.GRU (H units, one layer) [-> causal self-attention]
    -> Linear (H or 2H, V). forward: ids (B, T) long -> logits (B, T, V)."""

    def __init__(self, cell: str, vocab_size: int, embed_dim: int = 16, hidden: int = 64, *,
                 pad_id: int | None = None):
        super().__init__()
        _check_cell(cell)
        for value, name in ((vocab_size, "vocab_size"), (embed_dim, "embed_dim"), (hidden, "hidden")):
            _check_positive_int(value, name)
        self.cell, self.attention = cell, cell == "GRU+attention"
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.rnn = _MODULES[cell](embed_dim, hidden, batch_first=True)
        # Luong's general score q^T W k; nn.Linear(H, H) without bias holds W (applied to the query)
        self.score = nn.Linear(hidden, hidden, bias=False) if self.attention else None
        self.head = nn.Linear(2 * hidden if self.attention else hidden, vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.dim() != 2 or ids.dtype != torch.long:
            raise ValueError(f"ids must be a long tensor (B, T), got {ids.dtype} of shape {tuple(ids.shape)}")
        V = self.embed.num_embeddings
        if ids.numel() and bool(((ids < 0) | (ids >= V)).any()):
            raise ValueError(f"ids must be in [0, {V}), got values from {int(ids.min())} to {int(ids.max())}")
        states, _ = self.rnn(self.embed(ids))                                  # (B, T, H)
        if self.attention:
            T = states.shape[1]
            scores = self.score(states) @ states.transpose(1, 2)               # (B, T, T): query t, key s
            future = torch.ones(T, T, dtype=torch.bool, device=ids.device).triu(1)   # s > t: not seen yet
            weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)      # (B, T, T)
            states = torch.cat([states, weights @ states], dim=-1)             # (B, T, 2H)
        return self.head(states)                                               # (B, T, V)


def count_parameters(module: nn.Module) -> int:
    """The number of trainable numbers in `module` (every parameter with requires_grad)."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"count_parameters expects an nn.Module, got {type(module).__name__}")
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def recurrent_parameter_formula(cell: str, input_size: int, hidden: int) -> int:
    """GATES[cell] x (H(D + H) + 2H): the parameters of one recurrent layer with input size D and H units, as
    the course counted them (Day 01's RNN, Day 03's LSTM: 4 blocks, Day 04's GRU: 3 blocks)."""
    _check_cell(cell)
    _check_positive_int(input_size, "input_size")
    _check_positive_int(hidden, "hidden")
    return GATES[cell] * (hidden * (input_size + hidden) + 2 * hidden)


def _sync(device: torch.device | str | None) -> None:
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def _lm_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor], ignore_index: int) -> torch.Tensor:
    inputs, targets = batch
    logits = model(inputs)                                                     # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=ignore_index)


def time_train_steps(models: Mapping[str, nn.Module], batch: int, lengths: Sequence[int], *, warmup: int = 1,
                     repeat: int = 9, lr: float = 1e-3, seed: int = 0,
                     device: torch.device | str | None = None) -> dict[int, dict[str, float]]:
    """Median seconds of one training step (forward, cross-entropy at every position, backward, Adam step)
    of each model on random ids (batch, length), for each length, after `warmup` untimed steps:
    {length: {name: seconds}}. Every (length, model) pair takes one step per round, in an order shuffled
    each round (seeded), so that load from other programs, and the cost a step pays after a larger one
    (caches, memory), fall on all of them alike. The models are trained by this (a few steps at `lr`): time
    fresh copies, not the models you report on. Models need an `embed` (nn.Embedding)."""
    _check_positive_int(batch, "batch")
    if isinstance(lengths, int) or not len(lengths):
        raise ValueError(f"lengths must be a non-empty sequence of ints, e.g. (100, 400), got {lengths!r}")
    for length in lengths:
        _check_positive_int(length, "length")
    _check_positive_int(repeat, "repeat")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an integer >= 0, got {warmup!r}")
    if not models:
        raise ValueError("models is empty: give {name: model}")
    g = torch.Generator().manual_seed(seed)
    optimizers = {name: torch.optim.Adam(model.parameters(), lr=lr) for name, model in models.items()}
    data = {}
    for length in lengths:
        for name, model in models.items():
            V = _vocab_size(model, f"time_train_steps, model {name!r}")
            data[length, name] = (torch.randint(0, V, (batch, length), generator=g).to(device or "cpu"),   # (B, T)
                                  torch.randint(0, V, (batch, length), generator=g).to(device or "cpu"))
    times: dict[tuple[int, str], list[float]] = {key: [] for key in data}
    keys = list(data)
    for i in range(warmup + repeat):
        for k in torch.randperm(len(keys), generator=g).tolist():             # this round's order
            (length, name), pair = keys[k], data[keys[k]]
            model, optimizer = models[name], optimizers[name]
            model.train()
            _sync(device)
            start = _clock()
            loss = _lm_loss(model, pair, ignore_index=-100)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            _sync(device)
            if i >= warmup:
                times[length, name].append(_clock() - start)
    return {length: {name: statistics.median(times[length, name]) for name in models} for length in lengths}


# ---------------------------------------------------------------------------------------------- copy task
def _copy_batches(batch: int, n_copy: int, distance: int, n_symbols: int, seed: int,
                  device: torch.device | str | None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    while True:
        inputs, targets = copy_task(batch, n_copy, distance, n_symbols, generator=g)   # (B, T) each
        yield inputs.to(device or "cpu"), targets.to(device or "cpu")


@torch.no_grad()
def recall_accuracy(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of the copied symbols (targets != IGNORE) that the model's arg-max writes back.
    inputs and targets: (B, T) long, as copy_task makes them; the model maps inputs to logits (B, T, V)."""
    if inputs.dim() != 2 or inputs.shape != targets.shape:
        raise ValueError(f"inputs and targets must both be (B, T) with the same shape, got {tuple(inputs.shape)} "
                         f"and {tuple(targets.shape)}")
    was_training = model.training
    model.eval()
    try:
        logits = model(inputs)                                                 # (B, T, V)
    finally:
        model.train(was_training)
    if logits.dim() != 3 or logits.shape[:2] != targets.shape:
        raise ValueError(f"the model must return logits (B, T, V) = {(*targets.shape, 'V')}, got "
                         f"{tuple(logits.shape)}")
    predicted = logits.argmax(dim=-1)                                          # (B, T)
    mask = targets != IGNORE
    if not bool(mask.any()):
        raise ValueError("targets hold no symbol to recall (all IGNORE)")
    return ((predicted == targets) & mask).sum().item() / mask.sum().item()


def copy_recall(model: nn.Module, distance: int, steps: int, *, n_copy: int = 2, n_symbols: int = 8,
                batch: int = 64, lr: float = 1e-2, max_grad_norm: float = 1.0, n_test: int = 500,
                seed: int = 0, device: torch.device | str | None = None) -> float:
    """Train `model` (a SequenceModel, or any ids (B, T) -> logits (B, T, V) module with an `embed` of
    V = n_symbols + 2 tokens) on the copy task at `distance` for `steps` Adam steps of fresh batches (seeded
    by `seed`; gradients clipped to `max_grad_norm`), then return its recall accuracy on `n_test` new
    sequences (seed 1000 + seed). Guessing scores 1 / n_symbols."""
    _check_positive_int(steps, "steps")
    _check_positive_int(n_test, "n_test")
    if _vocab_size(model, "copy_recall") != n_symbols + 2:
        raise ValueError(f"the copy task needs a vocabulary of n_symbols + 2 = {n_symbols + 2} tokens, the model "
                         f"has {model.embed.num_embeddings}")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train(model, optimizer, _copy_batches(batch, n_copy, distance, n_symbols, seed, device),
          lambda m, b: _lm_loss(m, b, IGNORE), steps, max_grad_norm=max_grad_norm, progress=False)
    inputs, targets = copy_task(n_test, n_copy, distance, n_symbols,
                                generator=torch.Generator().manual_seed(1000 + seed))
    return recall_accuracy(model, inputs.to(device or "cpu"), targets.to(device or "cpu"))


# ---------------------------------------------------------------------------------------------- names LM
def names_data(seed: int = 0) -> tuple[Splits, Vocab]:
    """Day 08's names: the census first names split 80/10/10 by `split_indices(..., seed)` into Splits of
    lists of str, and the character vocabulary of the training names (4 specials + 26 letters)."""
    names = load_names()
    part = split_indices(len(names), (0.8, 0.1, 0.1), seed=seed)
    splits = Splits(*([n for n, p in zip(names, part) if p == i] for i in range(3)))
    return splits, Vocab(build_vocab(splits.train))


def lm_batch(texts: Sequence[str], vocab: Vocab, device: torch.device | str | None = None
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs <bos> x1 .. xn and targets x1 .. xn <eos>, padded with <pad> on the right: (B, T) each."""
    if isinstance(texts, str) or not len(texts):
        raise ValueError("texts must be a non-empty list of strings")
    ids = pad_sequences([vocab.encode(t) for t in texts], pad_value=vocab.pad_id).to(device or "cpu")  # (B, T + 1)
    return ids[:, :-1], ids[:, 1:]


@torch.no_grad()
def nats_per_char(model: nn.Module, texts: Sequence[str], vocab: Vocab,
                  device: torch.device | str | None = None) -> float:
    """Mean negative log-likelihood, in nats per predicted symbol (characters and the end), of `texts`."""
    was_training = model.training
    model.eval()
    try:
        loss = _lm_loss(model, lm_batch(texts, vocab, device), ignore_index=vocab.pad_id)
    finally:
        model.train(was_training)
    return loss.item()


def train_char_lm(model: nn.Module, texts: Sequence[str], vocab: Vocab, steps: int, *, batch: int = 64,
                  lr: float = 5e-3, max_grad_norm: float = 1.0, seed: int = 0,
                  device: torch.device | str | None = None) -> list[float]:
    """Train `model` (ids (B, T) -> logits (B, T, V), with an `embed` of V = len(vocab) tokens) for `steps`
    Adam steps on random batches of `texts` (seeded by `seed`; cross-entropy over the real symbols, padding
    ignored; gradients clipped to `max_grad_norm`); returns the loss of every step."""
    _check_positive_int(steps, "steps")
    _check_positive_int(batch, "batch")
    if isinstance(texts, str) or not len(texts) or not all(isinstance(t, str) for t in texts):
        raise ValueError(f"texts must be a non-empty list of strings, got {type(texts).__name__} of {len(texts)}")
    if _vocab_size(model, "train_char_lm") != len(vocab):
        raise ValueError(f"the model's vocabulary ({model.embed.num_embeddings}) is not the names vocabulary "
                         f"({len(vocab)})")
    g = torch.Generator().manual_seed(seed)

    def batches():
        while True:
            index = torch.randint(0, len(texts), (batch,), generator=g)
            yield lm_batch([texts[i] for i in index], vocab, device)

    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = train(model, optimizer, batches(), lambda m, b: _lm_loss(m, b, vocab.pad_id), steps,
                    max_grad_norm=max_grad_norm, progress=False)
    return history["loss"]


class NGramScore(NamedTuple):
    """An n-gram baseline: its order, the k chosen on validation, and nats per character there and on test."""
    order: int
    k: float
    validation: float
    test: float


def ngram_nats(splits: Splits, orders: Sequence[int] = (2, 3, 4),
               ks: Sequence[float] = (0.03, 0.1, 0.3, 1.0)) -> NGramScore:
    """Day 08's baseline: add-k character n-gram models fitted on splits.train; the order and k with the
    lowest nats per character on splits.validation win, and are scored on splits.test."""
    if not ks or not orders:
        raise ValueError(f"orders and ks must be non-empty, got orders={tuple(orders)}, ks={tuple(ks)}")
    scores = {(n, k): NGramLM(n, k).fit(splits.train).nll(splits.validation) for n in orders for k in ks}
    order, k = min(scores, key=scores.get)
    return NGramScore(order, k, scores[order, k], NGramLM(order, k).fit(splits.train).nll(splits.test))


def seed_spread(values: Sequence[float]) -> float:
    """max - min of one measurement over seeds (0 for one seed): the noise a difference must exceed.
    Every value must be a finite number (a NaN or an infinite loss is a failed run, not noise)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not len(values):
        raise ValueError(f"values must be a non-empty sequence of numbers (one per seed), got {values!r}")
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"values[{i}] must be a number, got {type(v).__name__} {v!r}")
        if not math.isfinite(v):
            raise ValueError(f"values[{i}] is {v}: every seed's value must be finite (a failed run is not noise)")
    return max(values) - min(values) if len(values) > 1 else 0.0
