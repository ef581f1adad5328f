"""Wrong answers for Day 08 (perplexity, temperature, top-k, top-p, a sampling step, masked attention pooling)."""
from __future__ import annotations

from bugbank import Bank

PPL_RETURN = '    return torch.exp(-(picked * mask).sum() / mask.sum())'
PPL_RAISE = ('    if not bool(mask.any()):\n'
             '        raise ValueError(f"every target is padding (pad_id={pad_id}): no symbol to score")\n')
T_SOFTMAX = '    return torch.softmax(logits / temperature, dim=-1)'
T_RAISE = ('    if temperature < 0:\n'
           '        raise ValueError(f"temperature must be >= 0, got {temperature}")\n')
K_SORT = '    order = torch.sort(probs, dim=-1, descending=True, stable=True).indices   # (..., V)'
K_KEPT = '    kept = torch.where(keep, probs, torch.zeros_like(probs))'
P_SORT = '    sorted_probs, order = torch.sort(probs, dim=-1, descending=True, stable=True)   # (..., V) each'
P_KEEP = '    keep = torch.zeros_like(probs, dtype=torch.bool).scatter(-1, order, before < p)  # back to id order'
DRAW = '    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)       # (B, 1) -> (B,)'
SCORES = '    scores = (states @ w).masked_fill(~mask, float("-inf"))                   # (B, T)'
WEIGHTS = '    weights = torch.softmax(scores, dim=1)                                     # (B, T), 0 on padding'

BUGS: Bank = {
    'perplexity': [
        ('padding counted: the mean runs over every position', [(PPL_RETURN, '    return torch.exp(-picked.mean())')]),
        ('padding zeroed in the sum but counted in the denominator (B * T)', [
            (PPL_RETURN, '    return torch.exp(-(picked * mask).sum() / mask.numel())')]),
        ('mean NLL per name, then averaged over names (short names weigh as much as long ones)', [
            (PPL_RETURN, '    return torch.exp((-(picked * mask).sum(1) / mask.sum(1)).mean())')]),
        ('the mean of per-name perplexities', [
            (PPL_RETURN, '    return torch.exp(-(picked * mask).sum(1) / mask.sum(1)).mean()')]),
        ('log_softmax over the time axis instead of the vocabulary', [
            ('    log_probs = torch.log_softmax(logits, dim=-1)', '    log_probs = torch.log_softmax(logits, dim=1)')]),
        ('returns the mean NLL (nats), not its exp', [(PPL_RETURN, '    return -(picked * mask).sum() / mask.sum()')]),
        ('no check: an all-padding batch returns nan instead of raising', [(PPL_RAISE, '')]),
        ('padding taken to be id 0 whatever pad_id says', [
            ('    mask = targets != pad_id', '    mask = targets != 0')]),
        ('softmax(...).log(): log(0) = -inf for a very unlikely target, and at padded positions with huge logits', [
            ('    log_probs = torch.log_softmax(logits, dim=-1)', '    log_probs = torch.softmax(logits, dim=-1).log()')]),
        ('through a Python float: float32 result, no gradient', [
            (PPL_RETURN, '    return torch.tensor(math.exp((-(picked * mask).sum() / mask.sum()).item()))')]),
        ('logits cast to float32: float64 precision and dtype lost', [
            ('    log_probs = torch.log_softmax(logits, dim=-1)', '    log_probs = torch.log_softmax(logits.float(), dim=-1)')]),
        # only the hidden tests catch these
        ('masked_fill_ on the targets: the caller\'s padding is overwritten with 0', [
            ('targets.masked_fill(~mask, 0)', 'targets.masked_fill_(~mask, 0)')]),
        ('gathers at the padded targets too, then multiplies by the mask: fails for a pad_id outside the vocabulary (-100)', [
            ('targets.masked_fill(~mask, 0).unsqueeze(-1)', 'targets.unsqueeze(-1)')]),
        ('torch.ops.aten.nll_loss_forward on the log-probabilities: the loss kernel under F.nll_loss (refused)', """
def perplexity(logits, targets, pad_id):
    if not bool((targets != pad_id).any()):
        raise ValueError("every target is padding")
    log_probs = torch.log_softmax(logits, dim=-1).reshape(-1, logits.shape[-1])
    mean, _ = torch.ops.aten.nll_loss_forward(log_probs, targets.reshape(-1), None, 1, pad_id)
    return torch.exp(mean)
"""),
        ('KL divergence to one-hot targets: a library loss that is the NLL (refused)', """
def perplexity(logits, targets, pad_id):
    mask = targets != pad_id
    if not bool(mask.any()):
        raise ValueError("every target is padding")
    log_probs = torch.log_softmax(logits, dim=-1)[mask]
    one_hot = F.one_hot(targets[mask], logits.shape[-1]).to(log_probs.dtype)
    return torch.exp(F.kl_div(log_probs, one_hot, reduction="sum") / mask.sum())
"""),
    ],
    'apply_temperature': [
        ('multiplies the logits by T instead of dividing', [(T_SOFTMAX, '    return torch.softmax(logits * temperature, dim=-1)')]),
        ('T = 0 replaced by a tiny temperature: tied maxima share the mass', """
def apply_temperature(logits, temperature):
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    return torch.softmax(logits / max(temperature, 1e-8), dim=-1)
"""),
        ('T = 0: argmax of the flipped logits, the highest id on a tie', [
            ('        best = logits.argmax(dim=-1, keepdim=True)',
             '        best = logits.shape[-1] - 1 - logits.flip(-1).argmax(dim=-1, keepdim=True)')]),
        ('softmax over the first axis', [(T_SOFTMAX, '    return torch.softmax(logits / temperature, dim=0)')]),
        ('no check for a negative temperature', [(T_RAISE, '')]),
        ('T = 0 raises too (temperature <= 0 refused)', [('    if temperature < 0:', '    if temperature <= 0:')]),
        ('divides the caller\'s logits in place (logits /= T)', [
            (T_SOFTMAX, '    logits /= temperature\n    return torch.softmax(logits, dim=-1)')]),
        ('softmax by hand, exp / sum without subtracting the max: inf / inf for large logits', [
            (T_SOFTMAX, '    e = torch.exp(logits / temperature)\n    return e / e.sum(dim=-1, keepdim=True)')]),
        # only the hidden tests catch these
        ('T = 0 one-hot built with torch.zeros(shape): float32 whatever the logits', [
            ('torch.zeros_like(logits).scatter(-1, best, 1.0)', 'torch.zeros(logits.shape).scatter(-1, best, 1.0)')]),
        ('T = 0 one-hot from F.one_hot: a long tensor', [
            ('        return torch.zeros_like(logits).scatter(-1, best, 1.0)                 # (..., V) one-hot',
             '        return F.one_hot(best.squeeze(-1), logits.shape[-1])')]),
    ],
    'top_k_filter': [
        ('not renormalised', [('    return kept / kept.sum(dim=-1, keepdim=True)', '    return kept')]),
        ('threshold at the k-th value: every symbol tied with it is kept too', """
def top_k_filter(probs, k):
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    kth = torch.topk(probs, min(k, probs.shape[-1]), dim=-1).values[..., -1:]
    kept = torch.where(probs >= kth, probs, torch.zeros_like(probs))
    return kept / kept.sum(dim=-1, keepdim=True)
"""),
        ('keeps the k least probable (ascending sort)', [(K_SORT, K_SORT.replace('descending=True', 'descending=False'))]),
        ('off by one: keeps k - 1', [('order[..., :k]', 'order[..., :k - 1]')]),
        ('filtered entries set to -inf (a logits habit), then renormalised: nan', [
            (K_KEPT, '    kept = torch.where(keep, probs, torch.full_like(probs, float("-inf")))')]),
        ('torch.topk without the k >= V case, ties to whichever id topk returns', """
def top_k_filter(probs, k):
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    values, ids = torch.topk(probs, k, dim=-1)
    kept = torch.zeros_like(probs).scatter(-1, ids, values)
    return kept / kept.sum(dim=-1, keepdim=True)
"""),
        ('no check: k = 0 returns nan instead of raising', [
            ('    if k < 1:\n        raise ValueError(f"k must be >= 1, got {k}")\n', '')]),
        ('filters the input in place', [(K_KEPT, '    probs[~keep] = 0\n    kept = probs')]),
        ('an unstable sort: for a long row, tied probabilities leave in any order', [
            (K_SORT, K_SORT.replace(', stable=True', ''))]),
        # only the hidden tests catch these
        ('zeros built with torch.zeros(shape): a float32 result for float64 probabilities', [
            (K_KEPT, '    kept = torch.where(keep, probs, torch.zeros(probs.shape)).float()')]),
        ('written for (B, V) only: sorts and keeps along axis 1', [
            (K_SORT, '    order = torch.sort(probs, dim=1, descending=True, stable=True).indices'),
            ('scatter(-1, order[..., :k], True)', 'scatter(1, order[:, :k], True)'),
            ('    return kept / kept.sum(dim=-1, keepdim=True)', '    return kept / kept.sum(dim=1, keepdim=True)')]),
    ],
    'top_p_filter': [
        ('drops the token that crosses p (keeps cumulative mass < p)', [
            (P_KEEP, '    keep = torch.zeros_like(probs, dtype=torch.bool).scatter(-1, order, sorted_probs.cumsum(dim=-1) < p)')]),
        ('keeps while the mass before is <= p: one token too many when p is reached exactly', [
            ('before < p)', 'before <= p)')]),
        ('running total in id order, without sorting', """
def top_p_filter(probs, p):
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p}")
    before = probs.cumsum(dim=-1) - probs
    kept = torch.where(before < p, probs, torch.zeros_like(probs))
    return kept / kept.sum(dim=-1, keepdim=True)
"""),
        ('decisions made in sorted order but not scattered back to the ids', [
            (P_KEEP, '    keep = before < p')]),
        ('not renormalised', [('    return kept / kept.sum(dim=-1, keepdim=True)', '    return kept')]),
        ('no check: p = 0 returns nan instead of raising', [
            ('    if not 0 < p <= 1:\n        raise ValueError(f"p must be in (0, 1], got {p}")\n', '')]),
        ('filters the input in place', [
            ('    kept = torch.where(keep, probs, torch.zeros_like(probs))', '    probs[~keep] = 0\n    kept = probs')]),
        # only the hidden tests catch these
        ('zeros built with torch.zeros(shape): a float32 result for float64 probabilities', [
            ('    kept = torch.where(keep, probs, torch.zeros_like(probs))',
             '    kept = torch.where(keep, probs, torch.zeros(probs.shape)).float()')]),
        ('no special case for p = 1: a float32 head that rounds to 1 drops the tiny tail', [
            ('    if p == 1:\n        return probs.clone()\n', '')]),
        ('an unstable sort: for a long row, tied probabilities leave in any order', [
            (P_SORT, P_SORT.replace(', stable=True', ''))]),
        ('written for (B, V) only: sorts, sums and scatters along axis 1', [
            (P_SORT, '    sorted_probs, order = torch.sort(probs, dim=1, descending=True, stable=True)'),
            ('sorted_probs.cumsum(dim=-1)', 'sorted_probs.cumsum(dim=1)'),
            ('.scatter(-1, order, before < p)', '.scatter(1, order, before < p)'),
            ('    return kept / kept.sum(dim=-1, keepdim=True)', '    return kept / kept.sum(dim=1, keepdim=True)')]),
    ],
    'sample_next': [
        ('greedy: the argmax instead of a sample', [(DRAW, '    return probs.argmax(dim=-1)')]),
        ('the generator is not passed to torch.multinomial', [
            (DRAW, '    return torch.multinomial(probs, 1).squeeze(-1)')]),
        ('shape (B, 1): the multinomial result not squeezed', [
            (DRAW, '    return torch.multinomial(probs, 1, generator=generator)')]),
        ('top_p ignored', [('    if top_p is not None:\n        probs = top_p_filter(probs, top_p)\n', '')]),
        ('torch.distributions.Categorical: ignores the generator', [
            (DRAW, '    return torch.distributions.Categorical(probs=probs).sample()')]),
        ('the filters are computed but the draw uses softmax(logits)', [
            (DRAW, '    return torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(-1)')]),
        ('`if top_k:` / `if top_p:`: a given top_k = 0 or top_p = 0 is silently ignored', [
            ('    if top_k is not None:', '    if top_k:'), ('    if top_p is not None:', '    if top_p:')]),
        ('top-k on the logits with a threshold (-inf below the k-th value): ties at the cut all kept', """
def sample_next(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    if top_k is not None and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = apply_temperature(logits, temperature)
    if top_p is not None:
        probs = top_p_filter(probs, top_p)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
"""),
        # only the hidden tests catch these
        ('filters at T = 1, temperature applied afterwards: a different nucleus', """
def sample_next(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    probs = torch.softmax(logits, dim=-1)
    if top_k is not None:
        probs = top_k_filter(probs, top_k)
    if top_p is not None:
        probs = top_p_filter(probs, top_p)
    probs = apply_temperature(torch.log(probs), temperature)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
"""),
        ('top-p applied before top-k', """
def sample_next(logits, temperature=1.0, top_k=None, top_p=None, generator=None):
    probs = apply_temperature(logits, temperature)
    if top_p is not None:
        probs = top_p_filter(probs, top_p)
    if top_k is not None:
        probs = top_k_filter(probs, top_k)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
"""),
    ],
    'masked_attention_pool': [
        ('no mask: pools over padding (the starting classifier)', [
            (SCORES, '    scores = states @ w')]),
        ('mask applied after the softmax, not renormalised', [
            (SCORES, '    scores = states @ w'), (WEIGHTS, '    weights = torch.softmax(scores, dim=1) * mask')]),
        ('mask inverted: real tokens get -inf', [('masked_fill(~mask, float("-inf"))', 'masked_fill(mask, float("-inf"))')]),
        ('softmax over the batch axis', [(WEIGHTS, '    weights = torch.softmax(scores, dim=0)')]),
        ('mean of the real states: the weights are ignored', [
            ('    pooled = (weights.unsqueeze(-1) * states.masked_fill(~mask.unsqueeze(-1), 0.0)).sum(dim=1)   # (B, H)',
             '    pooled = (states * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True)')]),
        ('returns (weights, pooled): the order swapped', [('    return pooled, weights', '    return weights, pooled')]),
        ('no check: a row without real tokens gives nan instead of raising', [
            ('    if not bool(mask.any(dim=1).all()):\n'
             '        raise ValueError("a row of the mask has no real token: nothing to pool")\n', '')]),
        ('softmax by hand, exp / sum without subtracting the max: inf / inf for large scores', [
            (WEIGHTS, '    weights = torch.exp(scores) / torch.exp(scores).sum(dim=1, keepdim=True)')]),
        ('a Python loop over the batch (the exercise asks for none)', """
def masked_attention_pool(states, mask, w):
    if not bool(mask.any(dim=1).all()):
        raise ValueError("a row of the mask has no real token: nothing to pool")
    pooled, weights = [], []
    for s, m in zip(states, mask):
        a = torch.zeros(s.shape[0], dtype=s.dtype)
        a[m] = torch.softmax(s[m] @ w, dim=0)
        pooled.append(a @ s)
        weights.append(a)
    return torch.stack(pooled), torch.stack(weights)
"""),
        # only the hidden tests catch these
        ('a finite penalty (-1e4) instead of -inf: huge padded states still win the softmax', [
            (SCORES, '    scores = states @ w - 1e4 * (~mask)')]),
        ('weights detached: no gradient reaches w through the softmax', [
            (WEIGHTS, '    weights = torch.softmax(scores, dim=1).detach()')]),
    ],
}
