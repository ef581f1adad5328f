"""Wrong answers for Day 09 (a linear-chain CRF: path score, forward algorithm, loss, Viterbi, BIO constraints)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'path_score': [
        ('`end` read at position T - 1 for every row, not at the last real step', [
            ('    last = mask.sum(dim=1) - 1 ', '    last = torch.full((B,), T - 1) '),
        ]),
        ('emissions summed over padded steps too', [
            ('(emitted * real).sum(dim=1)', 'emitted.sum(dim=1)'),
        ]),
        ('transition indexed [later, earlier]: transitions[y_t, y_{t-1}]', [
            ('transitions[tags[:, :-1], tags[:, 1:]]', 'transitions[tags[:, 1:], tags[:, :-1]]'),
        ]),
        ('transitions into padded steps counted', [
            ('(moves * real[:, 1:]).sum(dim=1)', 'moves.sum(dim=1)'),
        ]),
        ('transitions masked by the earlier step (mask[:, :-1]): the move into the first padded step counts', [
            ('(moves * real[:, 1:]).sum(dim=1)', '(moves * real[:, :-1]).sum(dim=1)'),
        ]),
        ('emissions gathered along the time axis (gather(1, ...)): E[tag, 0] instead of E[t, tag]', [
            ('emissions.gather(2, tags.unsqueeze(-1)).squeeze(-1)', 'emissions.gather(1, tags.unsqueeze(-1)).squeeze(-1)'),
        ]),
        ('start read for tag 0 always (start[0]) instead of the first tag', [
            ('score = start[tags[:, 0]] +', 'score = start[0] +'),
        ]),
        ('the score detached from the graph (no gradient reaches the emissions)', [
            ('    return score + end[tags[torch.arange(B), last]]', '    return (score + end[tags[torch.arange(B), last]]).detach()'),
        ]),
        # whole answer: a loop over sentences summing into torch.zeros(B), which is float32
        ('scores accumulated in torch.zeros(B): float32 whatever the input dtype', """
def path_score(emissions, tags, mask, start, transitions, end):
    B = emissions.shape[0]
    score = torch.zeros(B)
    for b in range(B):
        n = int(mask[b].sum())
        score[b] = start[tags[b, 0]] + end[tags[b, n - 1]] + emissions[b, torch.arange(n), tags[b, :n]].sum()
        score[b] = score[b] + transitions[tags[b, :n - 1], tags[b, 1:n]].sum()
    return score
"""),
        ('padding zeroed in place in the caller\'s emissions (masked_fill_): fails on a leaf that needs a gradient', [
            ('    real = mask.to(emissions.dtype) ',
             '    emissions.masked_fill_(~mask.unsqueeze(-1), 0.0)\n    real = mask.to(emissions.dtype) '),
        ]),
    ],
    'log_partition': [
        ('logsumexp over the next tag (dim=2) instead of the previous one', [
            ('step = torch.logsumexp(scores, dim=1)', 'step = torch.logsumexp(scores, dim=2)'),
        ]),
        ('no masking: padded steps update alpha', [
            ('        alpha = torch.where(mask[:, t].unsqueeze(1), step, alpha) ', '        alpha = step '),
        ]),
        ('log of a sum of exp: overflows to inf for large scores', [
            ('step = torch.logsumexp(scores, dim=1)', 'step = torch.log(torch.exp(scores).sum(dim=1))'),
        ]),
        ('end scores forgotten', [
            ('    return torch.logsumexp(alpha + end, dim=1)', '    return torch.logsumexp(alpha, dim=1)'),
        ]),
        ('a row that starts with padding is not refused', [
            ('    if not bool(mask[:, 0].all()):', '    if False:'),
        ]),
        ('max instead of logsumexp (the Viterbi score, not log Z)', [
            ('step = torch.logsumexp(scores, dim=1)', 'step = scores.max(dim=1).values'),
        ]),
        ('refuses only when every row starts with padding (.any() for .all())', [
            ('    if not bool(mask[:, 0].all()):', '    if not bool(mask[:, 0].any()):'),
        ]),
        ('computed in float32 whatever the input dtype', [
            ('    alpha = start + emissions[:, 0] ', '    alpha = (start + emissions[:, 0]).float() '),
        ]),
        ('refuses every batch with padding (mask.all() instead of mask[:, 0].all())', [
            ('    if not bool(mask[:, 0].all()):', '    if not bool(mask.all()):'),
        ]),
        # whole answer: correct, but one sentence at a time
        ('a loop over the sentences, each with its own forward algorithm (not batched)', """
def log_partition(emissions, mask, start, transitions, end):
    if not bool(mask[:, 0].all()):
        raise ValueError(f"rows {torch.nonzero(~mask[:, 0]).flatten().tolist()} start with padding")
    out = []
    for b in range(emissions.shape[0]):
        alpha = start + emissions[b, 0]                                  # (K,)
        for t in range(1, int(mask[b].sum())):
            alpha = torch.logsumexp(alpha.unsqueeze(1) + transitions, dim=0) + emissions[b, t]
        out.append(torch.logsumexp(alpha + end, dim=0))
    return torch.stack(out)
"""),
        ('the ValueError does not say which rows start with padding', [
            ('raise ValueError(f"the first step of every row must be real; rows {rows} start with padding")',
             'raise ValueError("the first step of every row must be real (mask[:, 0] must be all True)")'),
        ]),
    ],
    'crf_nll': [
        ('summed over the batch (pytorch-crf\'s default reduction), not averaged', [
            ('path_score(emissions, tags, mask, start, transitions, end)).mean()',
             'path_score(emissions, tags, mask, start, transitions, end)).sum()'),
        ]),
        ('the log-likelihood (s(y) - log Z) instead of its negative', [
            ('    return (log_z - path_score(emissions, tags, mask, start, transitions, end)).mean()',
             '    return (path_score(emissions, tags, mask, start, transitions, end) - log_z).mean()'),
        ]),
        ('averaged per word instead of per sentence', [
            ('path_score(emissions, tags, mask, start, transitions, end)).mean()',
             'path_score(emissions, tags, mask, start, transitions, end)).sum() / mask.sum()'),
        ]),
        ('returns the per-sentence losses (B,), not their mean', [
            ('path_score(emissions, tags, mask, start, transitions, end)).mean()',
             'path_score(emissions, tags, mask, start, transitions, end))'),
        ]),
        ('log Z over the padded length: the mask replaced by all True for the partition function', [
            ('    log_z = log_partition(emissions, mask, start, transitions, end) ',
             '    log_z = log_partition(emissions, torch.ones_like(mask), start, transitions, end) '),
        ]),
        ('log Z detached: right value, but no gradient pushes probability away from other paths', [
            ('    log_z = log_partition(emissions, mask, start, transitions, end) ',
             '    log_z = log_partition(emissions, mask, start, transitions, end).detach() '),
        ]),
        ('the loss cast to float32', [
            ('path_score(emissions, tags, mask, start, transitions, end)).mean()',
             'path_score(emissions, tags, mask, start, transitions, end)).mean().float()'),
        ]),
        ('the mean kept as a (1,) tensor (keepdim=True), not a 0-dim one', [
            ('path_score(emissions, tags, mask, start, transitions, end)).mean()',
             'path_score(emissions, tags, mask, start, transitions, end)).mean(0, keepdim=True)'),
        ]),
    ],
    'viterbi_decode': [
        ('end scores forgotten when choosing the last tag', [
            ('    scores, last = (delta + end).max(dim=1) ', '    scores, last = delta.max(dim=1) '),
        ]),
        ('the returned scores leave out `end` (the path itself is right)', [
            ('    scores, last = (delta + end).max(dim=1) ',
             '    _, last = (delta + end).max(dim=1)\n    scores = delta.max(dim=1).values '),
        ]),
        ('no masking: padded steps update delta', [
            ('        delta = torch.where(mask[:, t].unsqueeze(1), best + emissions[:, t], delta)',
             '        delta = best + emissions[:, t]'),
        ]),
        ('the back-tracked path not reversed', [
            ('        paths.append(path[::-1])', '        paths.append(path)'),
        ]),
        ('back-tracking from position T - 1 for every row, then cut to the length', [
            ('        for t in range(lengths[b] - 1, 0, -1): ', '        for t in range(T - 1, 0, -1): '),
            ('        paths.append(path[::-1])', '        paths.append(path[::-1][:lengths[b]])'),
        ]),
        ('paths hold 0-dim tensors, not ints', [
            ('        path = [int(last[b])]', '        path = [last[b]]'),
            ('            path.append(int(pointers[t - 1][b, path[-1]]))', '            path.append(pointers[t - 1][b, path[-1]])'),
        ]),
        ('max over the next tag (dim=2): back-pointers point the wrong way', [
            ('(delta.unsqueeze(2) + transitions.unsqueeze(0)).max(dim=1)',
             '(delta.unsqueeze(2) + transitions.unsqueeze(0)).max(dim=2)'),
        ]),
        ('back-pointers stacked with torch.stack: fails for sentences of one step (T = 1)', [
            ('    lengths = mask.sum(dim=1).tolist()',
             '    back = torch.stack(pointers, dim=1)                                       # (B, T-1, K)\n'
             '    lengths = mask.sum(dim=1).tolist()'),
            ('            path.append(int(pointers[t - 1][b, path[-1]]))', '            path.append(int(back[b, t - 1, path[-1]]))'),
        ]),
        ('the scores returned as a list of floats', [
            ('    return scores, paths', '    return scores.tolist(), paths'),
        ]),
        # whole answer: correct, but one sentence at a time
        ('a loop over the sentences for the forward pass too (not batched)', """
def viterbi_decode(emissions, mask, start, transitions, end):
    scores, paths = [], []
    for b in range(emissions.shape[0]):
        delta, back = start + emissions[b, 0], []                        # (K,)
        for t in range(1, int(mask[b].sum())):
            best, arg = (delta.unsqueeze(1) + transitions).max(dim=0)    # (K prev, K next) -> (K,)
            back.append(arg)
            delta = best + emissions[b, t]
        score, last = (delta + end).max(dim=0)
        path = [int(last)]
        for arg in reversed(back):
            path.append(int(arg[path[-1]]))
        scores.append(score)
        paths.append(path[::-1])
    return torch.stack(scores), paths
"""),
        ('the scores cast to float32 (the paths are right)', [
            ('    return scores, paths', '    return scores.float(), paths'),
        ]),
        # whole answer: greedy, each step's best delta without back-pointers
        ('greedy: the best tag of delta at every step, no back-tracking', """
def viterbi_decode(emissions, mask, start, transitions, end):
    B, T, _ = emissions.shape
    delta = start + emissions[:, 0]
    choices = [delta.argmax(dim=1)]
    for t in range(1, T):
        best, _ = (delta.unsqueeze(2) + transitions.unsqueeze(0)).max(dim=1)
        delta = torch.where(mask[:, t].unsqueeze(1), best + emissions[:, t], delta)
        choices.append(delta.argmax(dim=1))
    scores = (delta + end).max(dim=1).values
    lengths = mask.sum(dim=1).tolist()
    return scores, [[int(choices[t][b]) for t in range(lengths[b])] for b in range(B)]
"""),
    ],
    'bio_constraints': [
        ('transition mask transposed (row = later tag)', [
            ('                    transition_mask[i, j] = penalty', '                    transition_mask[j, i] = penalty'),
        ]),
        ('no start constraint: a sentence may start with I-X', [
            ('            start_mask[j] = penalty\n', ''),
        ]),
        ('the penalty argument used for transitions but -1e4 hard-coded for the start', [
            ('            start_mask[j] = penalty\n', '            start_mask[j] = -1e4\n'),
        ]),
        ('the penalty argument ignored: -1e4 everywhere', [
            ('            start_mask[j] = penalty\n', '            start_mask[j] = -1e4\n'),
            ('                    transition_mask[i, j] = penalty', '                    transition_mask[i, j] = -1e4'),
        ]),
        ('-inf instead of the penalty', [
            ('                    transition_mask[i, j] = penalty', '                    transition_mask[i, j] = float("-inf")'),
        ]),
        ('B-X treated like I-X: an entity may only start after the same type', [
            ('        if later.startswith("I-"):', '        if later != "O":'),
        ]),
        ('O -> I-X allowed', [
            ('                if earlier not in ("B-" + later[2:], "I-" + later[2:]):',
             '                if earlier != "O" and earlier not in ("B-" + later[2:], "I-" + later[2:]):'),
        ]),
        ('any I- tag may continue any entity (I-LOC -> I-PER allowed)', [
            ('                if earlier not in ("B-" + later[2:], "I-" + later[2:]):',
             '                if earlier != "B-" + later[2:] and not earlier.startswith("I-"):'),
        ]),
        ('assumes B-X sits right before I-X in the tag list (indices j - 1 and j)', [
            ('                if earlier not in ("B-" + later[2:], "I-" + later[2:]):',
             '                if i not in (j - 1, j):'),
        ]),
        ('types compared by prefix: B-ORGANISATION may continue as I-ORG', [
            ('                if earlier not in ("B-" + later[2:], "I-" + later[2:]):',
             '                if earlier == "O" or not earlier[2:].startswith(later[2:]):'),
        ]),
        ('the type read with split("-")[1]: I-GEO-LOC may continue B-GEO', [
            ('                if earlier not in ("B-" + later[2:], "I-" + later[2:]):',
             '                if earlier == "O" or earlier.split("-")[1] != later.split("-")[1]:'),
        ]),
        ('the type read with split("-")[-1]: I-X-GEO may continue B-GEO', [
            ('                if earlier not in ("B-" + later[2:], "I-" + later[2:]):',
             '                if earlier == "O" or earlier.split("-")[-1] != later.split("-")[-1]:'),
        ]),
        # whole answer: torch.tensor of a Python list: int64 when no name starts with I-
        ('masks built with torch.tensor of a list of 0 and penalty: int64 zeros when there is no I- tag', """
def bio_constraints(tag_names, penalty=-1e4):
    def allowed(earlier, later):
        return not later.startswith("I-") or earlier in ("B-" + later[2:], later)
    start_mask = torch.tensor([penalty if name.startswith("I-") else 0 for name in tag_names])
    transition_mask = torch.tensor([[0 if allowed(a, b) else penalty for b in tag_names] for a in tag_names])
    return start_mask, transition_mask
"""),
    ],
}
