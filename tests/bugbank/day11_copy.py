"""Wrong answers for Day 11 (copy mechanisms: extended ids, decoder inputs, the pointer-generator's final
distribution, its NLL, the coverage loss, ROUGE-N and ROUGE-L, BPE learning and encoding)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'extended_ids': [
        ('one OOV list for the whole batch (ids numbered across examples)', [
            ('    oovs = []\n', '    oovs = []\n    extra = {}\n'),
            ('        extra = {}                                                   # OOV word -> k, in order of first appearance\n', ''),
        ]),
        ('a repeated source OOV gets a new id each time', [
            ('src_ext[b, i] = V + extra.setdefault(word, len(extra))',
             'extra[word + str(i)] = len(extra)\n                src_ext[b, i] = V + len(extra) - 1'),
        ]),
        ('target OOVs always <unk>: the copy ids are never used for targets', [
            ('            elif word in extra:\n', '            elif False:\n'),
        ]),
        ('targets padded with 0 instead of pad_id', [
            ('tgt_ext = torch.full((len(targets), T), pad_id, dtype=torch.long)',
             'tgt_ext = torch.full((len(targets), T), 0, dtype=torch.long)'),
        ]),
        ('sources padded with unk_id instead of pad_id', [
            ('src_ext = torch.full((len(sources), S), pad_id, dtype=torch.long)',
             'src_ext = torch.full((len(sources), S), unk_id, dtype=torch.long)'),
        ]),
        ('V taken as the largest id (V - 1): the first OOV collides with the last word', [
            ('    V = len(stoi)\n', '    V = max(stoi.values())\n'),
        ]),
        ('oovs listed in sorted order while the ids follow the order of first appearance', [
            ('        oovs.append(list(extra))', '        oovs.append(sorted(extra))'),
        ]),
        ('OOV test by truthiness (stoi.get(word)): a vocabulary word with id 0 counts as an OOV', [
            ('            if word in stoi:\n                src_ext[b, i] = stoi[word]',
             '            if stoi.get(word):\n                src_ext[b, i] = stoi[word]'),
        ]),
        ('a literal <unk> token in the source taken for an OOV (stoi.get(word, unk_id) != unk_id)', [
            ('            if word in stoi:\n                src_ext[b, i] = stoi[word]',
             '            if stoi.get(word, unk_id) != unk_id:\n                src_ext[b, i] = stoi[word]'),
        ]),
    ],
    'decoder_inputs': [
        ('> instead of >=: the first extended id (V) is kept', [
            ('tgt_ext >= vocab_size', 'tgt_ext > vocab_size'),
        ]),
        ('masked_fill_ in place: the extended targets needed by the loss are overwritten', [
            ('tgt_ext.masked_fill(', 'tgt_ext.masked_fill_('),
        ]),
        ('extended ids mapped to 0 (padding) instead of unk_id', [
            ('masked_fill(tgt_ext >= vocab_size, unk_id)', 'masked_fill(tgt_ext >= vocab_size, 0)'),
        ]),
        ('ids clamped to V - 1 instead of replaced by unk', [
            ('return tgt_ext.masked_fill(tgt_ext >= vocab_size, unk_id)', 'return tgt_ext.clamp(max=vocab_size - 1)'),
        ]),
        ('the input returned unchanged', [
            ('return tgt_ext.masked_fill(tgt_ext >= vocab_size, unk_id)', 'return tgt_ext.clone()'),
        ]),
        ('the input itself returned when it holds no extended id', [
            ('    return tgt_ext.masked_fill(tgt_ext >= vocab_size, unk_id)',
             '    if not bool((tgt_ext >= vocab_size).any()):\n        return tgt_ext\n'
             '    return tgt_ext.masked_fill(tgt_ext >= vocab_size, unk_id)'),
        ]),
        ('unk hard-coded as id 1', [
            ('masked_fill(tgt_ext >= vocab_size, unk_id)', 'masked_fill(tgt_ext >= vocab_size, 1)'),
        ]),
    ],
    'final_distribution': [
        ('scatter instead of scatter_add: a repeated source word keeps one position\'s attention', [
            ('final.scatter_add(1, src_ext,', 'final.scatter(1, src_ext,'),
        ]),
        ('p_gen and 1 - p_gen swapped', [
            ('generated = p_gen * p_vocab', 'generated = (1 - p_gen) * p_vocab'),
            ('(1 - p_gen) * attention)', 'p_gen * attention)'),
        ]),
        ('the copied attention not weighted by 1 - p_gen (rows sum to 1 + ...)', [
            ('(1 - p_gen) * attention)', 'attention)'),
        ]),
        ('p_vocab scaled in place (mul_): the caller\'s tensor changes', [
            ('generated = p_gen * p_vocab ', 'generated = p_vocab.mul_(p_gen) '),
        ]),
        ('the zero columns put before the vocabulary (ids shifted by n_extra)', [
            ('torch.cat([generated, zeros], dim=1)', 'torch.cat([zeros, generated], dim=1)'),
        ]),
        ('indexed += instead of scatter_add: repeated ids add only once', [
            ('    return final.scatter_add(1, src_ext, (1 - p_gen) * attention)',
             '    final[torch.arange(final.shape[0])[:, None], src_ext] += (1 - p_gen) * attention\n    return final'),
        ]),
        ('zero columns made with torch.zeros: on the CPU whatever the inputs\' device', [
            ('zeros = generated.new_zeros(generated.shape[0], n_extra)', 'zeros = torch.zeros(generated.shape[0], n_extra)'),
        ]),
        ('zero columns on the right device but in the default dtype (float32)', [
            ('zeros = generated.new_zeros(generated.shape[0], n_extra)',
             'zeros = torch.zeros(generated.shape[0], n_extra, device=generated.device)'),
        ]),
        ('the result cast to float32 (float64 inputs lose precision)', [
            ('final = torch.cat([generated, zeros], dim=1)', 'final = torch.cat([generated, zeros], dim=1).float()'),
        ]),
        ('attention detached: no gradient reaches the attention', [
            ('(1 - p_gen) * attention)', '(1 - p_gen) * attention.detach())'),
        ]),
        # whole answer: right values, one row at a time
        ('a loop over the batch, one row at a time (not batched)', """
def final_distribution(p_vocab, attention, p_gen, src_ext, n_extra):
    rows = []
    for b in range(p_vocab.shape[0]):
        row = torch.cat([p_gen[b] * p_vocab[b], p_vocab.new_zeros(n_extra)])
        rows.append(row.scatter_add(0, src_ext[b], (1 - p_gen[b]) * attention[b]))
    return torch.stack(rows)
"""),
    ],
    'pointer_nll': [
        ('no eps: -log(0) = inf for a real target with probability 0', [
            ('nll = -torch.log(p + eps)', 'nll = -torch.log(p)'),
        ]),
        ('padding removed by multiplying with the mask, log without eps: 0 * inf = NaN', [
            ('nll = -torch.log(p + eps)', 'nll = -torch.log(p)'),
            ('nll = torch.where(mask, nll, torch.zeros_like(nll))', 'nll = nll * mask'),
        ]),
        ('divided by B * T instead of the number of real tokens', [
            ('return nll.sum() / mask.sum().clamp(min=1)', 'return nll.sum() / mask.numel()'),
        ]),
        ('mean per sentence, then mean over sentences', [
            ('return nll.sum() / mask.sum().clamp(min=1)', 'return (nll.sum(1) / mask.sum(1).clamp(min=1)).mean()'),
        ]),
        ('the log-likelihood, not its negative', [
            ('nll = -torch.log(p + eps)', 'nll = torch.log(p + eps)'),
        ]),
        ('gathered along the time axis (dim 1) instead of the vocabulary', [
            ('p = final.gather(2, targets.unsqueeze(-1)).squeeze(-1)',
             'p = final.gather(1, targets.unsqueeze(-1)).squeeze(-1)'),
        ]),
        ('log of the whole distribution, clamped, then gathered: 0 * inf = NaN in the gradient at zero entries', [
            ('    p = final.gather(2, targets.unsqueeze(-1)).squeeze(-1)                       # (B, T)\n'
             '    nll = -torch.log(p + eps)                                                    # finite even where p == 0\n',
             '    nll = -torch.log(final).clamp(min=float(np.log(eps))).gather(2, targets.unsqueeze(-1)).squeeze(-1)\n'),
        ]),
        ('no real token: a fresh float32 zero (dtype and graph lost)', [
            ('    return nll.sum() / mask.sum().clamp(min=1)',
             '    if not bool(mask.any()):\n        return torch.tensor(0.0)\n    return nll.sum() / mask.sum()'),
        ]),
        ('no real token: a constant 0 of the right dtype, cut from the graph', [
            ('    return nll.sum() / mask.sum().clamp(min=1)',
             '    if not bool(mask.any()):\n        return torch.zeros((), dtype=final.dtype)\n    return nll.sum() / mask.sum()'),
        ]),
        ('eps hard-coded to 1e-12 (the argument ignored)', [
            ('nll = -torch.log(p + eps)', 'nll = -torch.log(p + 1e-12)'),
        ]),
        ('no guard for a batch without real tokens: 0 / 0 = NaN', [
            ('return nll.sum() / mask.sum().clamp(min=1)', 'return nll.sum() / mask.sum()'),
        ]),
    ],
    'coverage_loss': [
        ('coverage includes the current step (cumsum without subtracting it): every step costs 1', [
            ('before = attentions.cumsum(dim=1) - attentions', 'before = attentions.cumsum(dim=1)'),
        ]),
        ('cumulated over the source axis instead of the decoder steps', [
            ('before = attentions.cumsum(dim=1) - attentions', 'before = attentions.cumsum(dim=2) - attentions'),
        ]),
        ('coverage over all steps, future ones included', [
            ('before = attentions.cumsum(dim=1) - attentions', 'before = attentions.sum(dim=1, keepdim=True) - attentions'),
        ]),
        ('padded steps not masked', [
            ('    per_step = torch.where(mask, per_step, torch.zeros_like(per_step))\n', ''),
        ]),
        ('divided by B * T instead of the number of real steps', [
            ('return per_step.sum() / mask.sum().clamp(min=1)', 'return per_step.sum() / mask.numel()'),
        ]),
        ('mean over the source positions instead of the sum', [
            ('torch.minimum(attentions, before).sum(dim=2)', 'torch.minimum(attentions, before).mean(dim=2)'),
        ]),
        ('max instead of min', [
            ('torch.minimum(attentions, before)', 'torch.maximum(attentions, before)'),
        ]),
        ('summed per sentence, averaged over sentences (divided by B)', [
            ('return per_step.sum() / mask.sum().clamp(min=1)', 'return per_step.sum() / mask.shape[0]'),
        ]),
        ('no guard for a batch without real steps: 0 / 0 = NaN', [
            ('return per_step.sum() / mask.sum().clamp(min=1)', 'return per_step.sum() / mask.sum()'),
        ]),
        ('mean over each sentence\'s real steps, then over sentences', [
            ('return per_step.sum() / mask.sum().clamp(min=1)',
             'return (per_step.sum(1) / mask.sum(1).clamp(min=1)).mean()'),
        ]),
        ('the result cast to float32', [
            ('return per_step.sum() / mask.sum().clamp(min=1)', 'return (per_step.sum() / mask.sum().clamp(min=1)).float()'),
        ]),
    ],
    'rouge_n': [
        ('no clipping: every hypothesis n-gram found in the reference counts', [
            ('overlap = sum((ref & hyp).values())', 'overlap = sum(c for g, c in hyp.items() if g in ref)'),
        ]),
        ('precision and recall swapped', [
            ('    return RougeScore(precision, recall, f)', '    return RougeScore(recall, precision, f)'),
        ]),
        ('divided by the number of distinct n-grams', [
            ('precision = overlap / sum(hyp.values()) if hyp else 0.0', 'precision = overlap / len(hyp) if hyp else 0.0'),
            ('recall = overlap / sum(ref.values()) if ref else 0.0', 'recall = overlap / len(ref) if ref else 0.0'),
        ]),
        ('off by one: the last n-gram of each side is missed', [
            ('for i in range(len(reference) - n + 1))', 'for i in range(len(reference) - n))'),
            ('for i in range(len(hypothesis) - n + 1))', 'for i in range(len(hypothesis) - n))'),
        ]),
        ('F1 without the factor 2', [
            ('f = 2 * precision * recall /', 'f = precision * recall /'),
        ]),
        ('n-grams as strings joined without a separator ("ab" + "c" == "a" + "bc")', [
            ('ref = Counter(tuple(reference[i:i + n])', 'ref = Counter("".join(reference[i:i + n])'),
            ('hyp = Counter(tuple(hypothesis[i:i + n])', 'hyp = Counter("".join(hypothesis[i:i + n])'),
        ]),
        ('tokens lower-cased before counting', [
            ('    ref = Counter(', '    reference, hypothesis = [t.lower() for t in reference], [t.lower() for t in hypothesis]\n    ref = Counter('),
        ]),
        ('n defaults to 2', [
            ('n: int = 1) -> RougeScore:', 'n: int = 2) -> RougeScore:'),
        ]),
        ('overlap counts the reference occurrences of each hypothesis n-gram type', [
            ('overlap = sum((ref & hyp).values())', 'overlap = sum(ref[g] for g in hyp)'),
        ]),
    ],
    'rouge_l': [
        ('longest common substring (contiguous), not subsequence', [
            ('else max(table[i - 1][j], table[i][j - 1])', 'else 0'),
            ('    lcs = table[-1][-1]', '    lcs = max(max(row) for row in table)'),
        ]),
        ('precision and recall swapped', [
            ('    return RougeScore(precision, recall, f)', '    return RougeScore(recall, precision, f)'),
        ]),
        ('unigram overlap instead of the LCS', [
            ('    lcs = table[-1][-1]', '    lcs = sum((Counter(reference) & Counter(hypothesis)).values())'),
        ]),
        ('no match: the diagonal carried instead of the max of the two neighbours', [
            ('else max(table[i - 1][j], table[i][j - 1])', 'else table[i - 1][j - 1]'),
        ]),
        ('F1 as the mean of precision and recall', [
            ('f = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0',
             'f = (precision + recall) / 2'),
        ]),
        ('recall divided by the hypothesis length', [
            ('recall = lcs / len(reference) if reference else 0.0', 'recall = lcs / len(hypothesis) if hypothesis else 0.0'),
        ]),
        # whole answer: a greedy in-order match, not the longest common subsequence
        ('greedy subsequence: each hypothesis word matched to its next occurrence in the reference', """
def rouge_l(reference, hypothesis):
    lcs, pos = 0, 0
    for h in hypothesis:
        if h in reference[pos:]:
            pos = reference.index(h, pos) + 1
            lcs += 1
    precision = lcs / len(hypothesis) if hypothesis else 0.0
    recall = lcs / len(reference) if reference else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return RougeScore(precision, recall, f)
"""),
    ],
    'learn_bpe': [
        ('pairs counted once per word type, not weighted by the word counts', [
            ('counts[pair] += word_counts[w]', 'counts[pair] += 1'),
        ]),
        ('ties broken towards the largest pair', [
            ('best = min(counts, key=lambda p: (-counts[p], p))', 'best = max(counts, key=lambda p: (counts[p], p))'),
        ]),
        ('no early stop: min() of no pairs raises', [
            ('        if not counts:\n            break\n', ''),
        ]),
        ('</w> as a symbol of its own instead of joined to the last character', [
            ('words = {w: list(w[:-1]) + [w[-1] + "</w>"] for w in word_counts}',
             'words = {w: list(w) + ["</w>"] for w in word_counts}'),
        ]),
        ('ties broken by first occurrence (Counter.most_common)', [
            ('best = min(counts, key=lambda p: (-counts[p], p))', 'best = counts.most_common(1)[0][0]'),
        ]),
        ('merges returned as joined strings, not (left, right) pairs', [
            ('        merges.append(best)', '        merges.append(best[0] + best[1])'),
        ]),
        ('merges returned as lists [left, right]', [
            ('        merges.append(best)', '        merges.append(list(best))'),
        ]),
        ('a run x x x counted as two overlapping pairs', [
            ('                i += 2 if pair[0] == pair[1] and i + 2 < len(symbols) and symbols[i + 2] == pair[1] else 1',
             '                i += 1'),
        ]),
        ('only the first occurrence of the pair merged in each word', [
            ('                out.append(symbols[i] + symbols[i + 1])\n                i += 2',
             '                return out + [symbols[i] + symbols[i + 1]] + list(symbols[i + 2:])'),
        ]),
    ],
    'bpe_encode': [
        ('the leftmost present pair merged first, not the lowest-ranked', [
            ('        best = min(present)[1]', '        best = present[0][1]'),
        ]),
        ('</w> as a symbol of its own', [
            ('symbols = list(word[:-1]) + [word[-1] + "</w>"]', 'symbols = list(word) + ["</w>"]'),
        ]),
        ('one merge only', [
            ('        symbols = out\n', '        symbols = out\n        break\n'),
        ]),
        ('stops with two symbols left', [
            ('    while len(symbols) > 1:', '    while len(symbols) > 2:'),
        ]),
        ('returns one string (the symbols joined by spaces)', [
            ('    return symbols', '    return " ".join(symbols)'),
        ]),
        # whole answer: each merge applied once, in the learned order
        ('one pass over the merges in order (not by rank until nothing applies)', """
def bpe_encode(word, merges):
    symbols = list(word[:-1]) + [word[-1] + "</w>"]
    for left, right in merges:
        out, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and symbols[i] == left and symbols[i + 1] == right:
                out.append(left + right)
                i += 2
            else:
                out.append(symbols[i])
                i += 1
        symbols = out
    return symbols
"""),
    ],
}
