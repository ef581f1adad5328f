"""The pieces of a pointer-generator (See, Liu & Manning 2017): a decoder that can write a word from its
vocabulary or copy one from the source, so that words it has never seen (names, numbers, identifiers) can
still appear in its output.

- `extended_ids`: token lists -> ids over an *extended* vocabulary. The fixed vocabulary has V = len(stoi)
  ids; each example's source words outside it get the ids V, V + 1, ... in the order they first appear in
  that example's source (its own OOV list). A target word gets its vocabulary id, else the extended id of
  the same word in its own source, else `unk_id`.
- `decoder_inputs`: extended ids (B, T) with every id >= V mapped back to `unk_id` (the embedding table only
  has V rows: the decoder reads `<unk>` after it copied an OOV word).
- `final_distribution`: P(w) = p_gen P_vocab(w) + (1 - p_gen) sum_{i: src_i = w} a_i over V + n_extra ids:
  p_vocab (B, V), attention (B, S), p_gen (B, 1), src_ext (B, S) -> (B, V + n_extra); leading (B, T) axes work
  too (attention (B, T, S), p_gen (B, T, 1), src_ext still (B, S)). Repeated source words add up
  (scatter_add); an id >= V gets probability only by copying.
- `pointer_nll`: mean over real target tokens of -log(P(target) + eps): finite, with finite gradients, even
  when the target has probability exactly 0 (p_gen = 1 and an OOV target; p_gen = 0 and a word not in the
  source).
- `coverage_loss`: the coverage c_t = sum_{t' < t} a_t' (c_0 = 0) and the loss sum_i min(a_t,i, c_t,i),
  averaged over the real target steps.
"""
from __future__ import annotations

import torch


def _check_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    return value


def extended_ids(sources: list[list[str]], targets: list[list[str]], stoi: dict[str, int], unk_id: int,
                 pad_id: int) -> tuple[torch.Tensor, torch.Tensor, list[list[str]]]:
    """Source and target ids over each example's extended vocabulary.

    sources, targets: B token lists each (targets[b] belongs to sources[b]); stoi: the fixed vocabulary,
    ids 0 .. V-1 with V = len(stoi); unk_id, pad_id: ids in it.
    Returns (src_ext (B, S) long, tgt_ext (B, T) long, oovs): S and T the longest source and target, shorter
    rows padded with pad_id; oovs[b] the source words of example b that are not in stoi, each once, in the
    order of their first appearance; a source OOV oovs[b][k] has id V + k. A target word in stoi gets its id,
    a target OOV found in oovs[b] its extended id, any other OOV unk_id (it cannot be copied from this source).
    """
    if not isinstance(sources, (list, tuple)) or not isinstance(targets, (list, tuple)) or len(sources) != len(targets):
        raise ValueError(f"sources and targets must be lists of token lists of the same length, got "
                         f"{type(sources).__name__} of {len(sources) if hasattr(sources, '__len__') else '?'} and "
                         f"{type(targets).__name__} of {len(targets) if hasattr(targets, '__len__') else '?'}")
    if not isinstance(stoi, dict):
        raise TypeError(f"stoi must be a dict word -> id, got {type(stoi).__name__}")
    V = len(stoi)
    if sorted(stoi.values()) != list(range(V)):
        raise ValueError(f"stoi must map its {V} words to the ids 0 .. {V - 1}, each once; got ids from "
                         f"{min(stoi.values(), default=None)} to {max(stoi.values(), default=None)}")
    for name, rows in (("sources", sources), ("targets", targets)):
        for b, row in enumerate(rows):
            if not isinstance(row, (list, tuple)) or not all(isinstance(w, str) for w in row):
                raise TypeError(f"{name}[{b}] must be a list of str tokens, got {type(row).__name__}"
                                f"{'' if not isinstance(row, (list, tuple)) else ' holding ' + ', '.join(sorted({type(w).__name__ for w in row}))}")
    for name, value in (("unk_id", unk_id), ("pad_id", pad_id)):
        if not 0 <= _check_int(value, name) < V:
            raise ValueError(f"{name} must be an id of the vocabulary, in [0, {V}), got {value}")
    B = len(sources)
    S = max((len(s) for s in sources), default=0)
    T = max((len(t) for t in targets), default=0)
    src_ext = torch.full((B, S), pad_id, dtype=torch.long)
    tgt_ext = torch.full((B, T), pad_id, dtype=torch.long)
    oovs: list[list[str]] = []
    for b, (src, tgt) in enumerate(zip(sources, targets)):
        extra: dict[str, int] = {}
        for i, word in enumerate(src):
            if word in stoi:
                src_ext[b, i] = stoi[word]
            else:
                src_ext[b, i] = V + extra.setdefault(word, len(extra))
        for j, word in enumerate(tgt):
            tgt_ext[b, j] = stoi[word] if word in stoi else (V + extra[word] if word in extra else unk_id)
        oovs.append(list(extra))
    return src_ext, tgt_ext, oovs


def decoder_inputs(tgt_ext: torch.Tensor, vocab_size: int, unk_id: int) -> torch.Tensor:
    """tgt_ext (B, T) long extended ids -> (B, T) long with every id >= vocab_size replaced by unk_id (the
    input does not change)."""
    if not isinstance(tgt_ext, torch.Tensor) or tgt_ext.dtype != torch.long:
        raise TypeError(f"tgt_ext must be a long tensor, got {getattr(tgt_ext, 'dtype', type(tgt_ext).__name__)}")
    if tgt_ext.dim() != 2:
        raise ValueError(f"tgt_ext must be (B, T), got shape {tuple(tgt_ext.shape)}")
    if tgt_ext.numel() and tgt_ext.device.type != "meta" and int(tgt_ext.min()) < 0:
        raise ValueError(f"tgt_ext ids must be >= 0, got {int(tgt_ext.min())}")
    if not 0 <= _check_int(unk_id, "unk_id") < _check_int(vocab_size, "vocab_size"):
        raise ValueError(f"unk_id must be in [0, vocab_size) = [0, {vocab_size}), got {unk_id}")
    return tgt_ext.masked_fill(tgt_ext >= vocab_size, unk_id)


def final_distribution(p_vocab: torch.Tensor, attention: torch.Tensor, p_gen: torch.Tensor, src_ext: torch.Tensor,
                       n_extra: int) -> torch.Tensor:
    """The pointer-generator's output distribution over the extended vocabulary.

    p_vocab (B, V) or (B, T, V): the decoder's softmax over the fixed vocabulary; attention (B, S) or (B, T, S):
    weights over the source (0 at padding); p_gen (B, 1) or (B, T, 1) in [0, 1]; src_ext (B, S) long: the
    source's extended ids (< V + n_extra); n_extra: the number of extended ids (the longest OOV list).
    Returns (B, V + n_extra) or (B, T, V + n_extra): p_gen * p_vocab padded with n_extra zeros, plus
    (1 - p_gen) * attention added at the source's ids (repeated ids add up). Sums to 1 where p_vocab and
    attention each sum to 1. New tensors are made on the inputs' device, with their dtype (tensors on the "meta"
    device, which hold shapes but no values, work: the id range is then not checked). The inputs are not
    modified."""
    _check_int(n_extra, "n_extra")
    if n_extra < 0:
        raise ValueError(f"n_extra must be >= 0, got {n_extra}")
    if p_vocab.dim() not in (2, 3) or attention.dim() != p_vocab.dim() or p_gen.shape != p_vocab.shape[:-1] + (1,):
        raise ValueError(f"need p_vocab (B, [T,] V), attention (B, [T,] S), p_gen (B, [T,] 1) with the same leading "
                         f"axes; got {tuple(p_vocab.shape)}, {tuple(attention.shape)}, {tuple(p_gen.shape)}")
    floats = {p_vocab.dtype, attention.dtype, p_gen.dtype}
    if len(floats) != 1 or not p_vocab.is_floating_point():
        raise TypeError(f"p_vocab, attention and p_gen must be floats of one dtype, got {p_vocab.dtype}, "
                        f"{attention.dtype}, {p_gen.dtype}")
    if src_ext.dtype != torch.long or src_ext.shape != (attention.shape[0], attention.shape[-1]):
        raise ValueError(f"src_ext must be long (B, S) = {(attention.shape[0], attention.shape[-1])}, got "
                         f"{src_ext.dtype} {tuple(src_ext.shape)}")
    V = p_vocab.shape[-1]
    if src_ext.numel() and src_ext.device.type != "meta" and not 0 <= int(src_ext.min()) <= int(src_ext.max()) < V + n_extra:
        raise ValueError(f"src_ext ids must be in [0, V + n_extra) = [0, {V + n_extra}), got values from "
                         f"{int(src_ext.min())} to {int(src_ext.max())}")
    generated = p_gen * p_vocab                                                  # (B, [T,] V)
    zeros = generated.new_zeros(generated.shape[:-1] + (n_extra,))
    final = torch.cat([generated, zeros], dim=-1)                                # (B, [T,] V + n_extra)
    index = src_ext if attention.dim() == 2 else src_ext.unsqueeze(1).expand_as(attention)   # (B, [T,] S)
    return final.scatter_add(-1, index, (1 - p_gen) * attention)                # copied mass added per source id


def pointer_nll(final: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Mean negative log-likelihood of the targets under the final distribution.

    final (B, T, V_ext) probabilities; targets (B, T) long ids < V_ext (any valid id at padding); mask (B, T)
    bool, True at real target tokens. Returns a 0-dim tensor: sum over real tokens of -log(final[target] + eps)
    divided by their number (0 when there is none). The eps keeps the loss and its gradient finite when a
    target's probability is exactly 0; padded positions contribute nothing (not even a NaN)."""
    if final.dim() != 3 or targets.shape != final.shape[:2] or mask.shape != final.shape[:2]:
        raise ValueError(f"need final (B, T, V_ext), targets and mask (B, T); got {tuple(final.shape)}, "
                         f"{tuple(targets.shape)}, {tuple(mask.shape)}")
    if targets.dtype != torch.long or mask.dtype != torch.bool:
        raise TypeError(f"targets must be long and mask bool, got {targets.dtype} and {mask.dtype}")
    if not final.is_floating_point():
        raise TypeError(f"final must hold float probabilities, got {final.dtype}")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 <= eps < float("inf"):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    if targets.numel() and targets.device.type != "meta" and not 0 <= int(targets.min()) <= int(targets.max()) < final.shape[-1]:
        raise ValueError(f"targets must be ids in [0, {final.shape[-1]}), got values from {int(targets.min())} to "
                         f"{int(targets.max())}")
    p = final.gather(-1, targets.unsqueeze(-1)).squeeze(-1)                      # (B, T)
    nll = -torch.log(p + eps)                                                    # (B, T), finite
    nll = torch.where(mask, nll, torch.zeros_like(nll))                          # padding: exactly 0, no NaN
    return nll.sum() / mask.sum().clamp(min=1)


def coverage_loss(attentions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """See et al.'s coverage loss.

    attentions (B, T, S): the decoder's attention at each target step; mask (B, T) bool, True at real target
    steps. Coverage c_t = sum of a_0 .. a_{t-1} (c_0 = 0), shape (B, T, S); the loss of step t is
    sum_i min(a_t,i, c_t,i); returns their sum over real steps divided by the number of real steps (0 when
    there is none), a 0-dim tensor."""
    if attentions.dim() != 3 or mask.shape != attentions.shape[:2] or mask.dtype != torch.bool:
        raise ValueError(f"need attentions (B, T, S) and a bool mask (B, T); got {tuple(attentions.shape)} and "
                         f"{mask.dtype} {tuple(mask.shape)}")
    if not attentions.is_floating_point():
        raise TypeError(f"attentions must be float weights, got {attentions.dtype}")
    before = attentions.cumsum(dim=1)[:, :-1]                                    # (B, T-1, S)
    coverage = torch.cat([torch.zeros_like(attentions[:, :1]), before], dim=1)   # (B, T, S): sum before step t
    per_step = torch.minimum(attentions, coverage).sum(dim=-1)                   # (B, T)
    per_step = torch.where(mask, per_step, torch.zeros_like(per_step))
    return per_step.sum() / mask.sum().clamp(min=1)
