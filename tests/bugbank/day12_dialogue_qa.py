"""Wrong answers for Day 12 (dialogue and question answering: dialogue masks, the hierarchical encoder, the
dual-attention decoder step, SQuAD's answer normalisation, exact match and token F1)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'dialogue_masks': [
        ('<= instead of <: one token too many in every turn', [
            ('token_mask = positions < turn_lengths.unsqueeze(-1)', 'token_mask = positions <= turn_lengths.unsqueeze(-1)'),
        ]),
        ('turn_mask from >= 0: padded turns count as real', [
            ('turn_mask = turn_lengths > 0 ', 'turn_mask = turn_lengths >= 0 '),
        ]),
        ('num_turns counts tokens instead of turns', [
            ('num_turns = turn_mask.sum(dim=1)', 'num_turns = turn_lengths.sum(dim=1)'),
        ]),
        ('token mask compared along the wrong axis (unsqueeze(1))', [
            ('token_mask = positions < turn_lengths.unsqueeze(-1)', 'token_mask = positions < turn_lengths.unsqueeze(1)'),
        ]),
        ('num_turns as float', [
            ('num_turns = turn_mask.sum(dim=1)', 'num_turns = turn_mask.float().sum(dim=1)'),
        ]),
        ('positions counted from 1: the last real token of each turn is masked out', [
            ('token_mask = positions < turn_lengths.unsqueeze(-1)',
             'token_mask = positions < turn_lengths.unsqueeze(-1) - 1'),
        ]),
        ('num_turns summed over the whole batch', [
            ('num_turns = turn_mask.sum(dim=1)', 'num_turns = turn_mask.sum().expand(turn_mask.shape[0])'),
        ]),
        ('turn_mask as long (0/1) instead of bool', [
            ('turn_mask = turn_lengths > 0 ', 'turn_mask = (turn_lengths > 0).long() '),
        ]),
        ('L taken from the longest turn instead of max_len', [
            ('torch.arange(max_len, device=turn_lengths.device)',
             'torch.arange(int(turn_lengths.max()), device=turn_lengths.device)'),
        ]),
        ('turn_lengths unsqueezed in place: the caller\'s tensor changes shape', [
            ('    positions = torch.arange(', '    turn_lengths.unsqueeze_(-1)\n    positions = torch.arange('),
            ('token_mask = positions < turn_lengths.unsqueeze(-1)', 'token_mask = positions < turn_lengths'),
            ('turn_mask = turn_lengths > 0 ', 'turn_mask = turn_lengths.squeeze(-1) > 0 '),
        ]),
        ('arange made on the CPU whatever the lengths\' device', [
            ('torch.arange(max_len, device=turn_lengths.device)', 'torch.arange(max_len)'),
        ]),
        ('num_turns as the index of the first padded turn (argmin): 0 for a dialogue without padding', [
            ('num_turns = turn_mask.sum(dim=1)', 'num_turns = turn_mask.long().argmin(dim=1)'),
        ]),
    ],
    'encode_dialogues': [
        ('utterance encoder not packed: padded tokens enter the final state', [
            ('    packed = pack_padded_sequence(embedding(real_tokens), real_lengths.cpu(), batch_first=True,\n'
             '                                  enforce_sorted=False)\n'
             '    _, h_n = utterance_encoder(packed)',
             '    _, h_n = utterance_encoder(embedding(real_tokens))'),
        ]),
        ('padded token embeddings zeroed instead of packing (zeros still move a GRU\'s state)', [
            ('    packed = pack_padded_sequence(embedding(real_tokens), real_lengths.cpu(), batch_first=True,\n'
             '                                  enforce_sorted=False)\n'
             '    _, h_n = utterance_encoder(packed)',
             '    keep = (torch.arange(L) < real_lengths.unsqueeze(-1)).unsqueeze(-1)\n'
             '    _, h_n = utterance_encoder(embedding(real_tokens) * keep)'),
        ]),
        ('context encoder not packed: padded turns get states', [
            ('    packed = pack_padded_sequence(utterance_vectors, num_turns.cpu(), batch_first=True, enforce_sorted=False)\n'
             '    states, _ = context_encoder(packed)\n'
             '    context_states, _ = pad_packed_sequence(states, batch_first=True, total_length=N)',
             '    context_states, _ = context_encoder(utterance_vectors)'),
        ]),
        ('padded turns run through the utterance encoder as one-token turns', [
            ('    flat_mask = turn_mask.reshape(B * N)                                         # (B*N,)',
             '    flat_mask = torch.ones(B * N, dtype=torch.bool)'),
            ('real_lengths = turn_lengths.reshape(B * N)[flat_mask]', 'real_lengths = turn_lengths.reshape(B * N)[flat_mask].clamp(min=1)'),
        ]),
        ('turn_lengths returned in place of the bool turn mask', [
            ('return context_states, turn_mask, utterance_vectors', 'return context_states, turn_lengths, utterance_vectors'),
        ]),
        ('turn_mask returned as a 0/1 long tensor', [
            ('return context_states, turn_mask, utterance_vectors', 'return context_states, turn_mask.long(), utterance_vectors'),
        ]),
        ('enforce_sorted left at True: refuses turns not sorted by length', [
            ('packed = pack_padded_sequence(embedding(real_tokens), real_lengths.cpu(), batch_first=True,\n'
             '                                  enforce_sorted=False)',
             'packed = pack_padded_sequence(embedding(real_tokens), real_lengths.cpu(), batch_first=True)'),
        ]),
        ('real turns told apart by their first token (a padded turn holding a word counts as real)', [
            ('    _, turn_mask, num_turns = dialogue_masks(turn_lengths, L)',
             '    _, turn_mask, num_turns = dialogue_masks(turn_lengths, L)\n'
             '    turn_mask = tokens[:, :, 0] != 0\n'
             '    num_turns = turn_mask.sum(dim=1)'),
        ]),
        ('the context GRU\'s last state copied to every turn', [
            ('    context_states, _ = pad_packed_sequence(states, batch_first=True, total_length=N)   # (B, N, H_c)',
             '    _, last = context_encoder(packed)\n'
             '    context_states = last[-1].unsqueeze(1).expand(B, N, -1) * turn_mask.unsqueeze(-1)'),
        ]),
        ('a Python loop over the dialogues (one packed GRU call per dialogue)', '''
def encode_dialogues(tokens, turn_lengths, utterance_encoder, context_encoder, embedding):
    B, N, L = tokens.shape
    _, turn_mask, num_turns = dialogue_masks(turn_lengths, L)
    states, vectors = [], []
    for b in range(B):
        n = int(num_turns[b])
        packed = pack_padded_sequence(embedding(tokens[b, :n]), turn_lengths[b, :n].cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, h_n = utterance_encoder(packed)
        v = h_n.new_zeros(N, h_n.shape[-1])
        v[:n] = h_n[-1]
        out, _ = context_encoder(v[:n].unsqueeze(0))
        c = out.new_zeros(N, out.shape[-1])
        c[:n] = out[0]
        vectors.append(v)
        states.append(c)
    return torch.stack(states), turn_mask, torch.stack(vectors)
'''),
        ('the zeros for padded turns made on the CPU (no device): fails on a GPU', [
            ('vectors = h_n.new_zeros(B * N, h_n.shape[-1])', 'vectors = torch.zeros(B * N, h_n.shape[-1], dtype=h_n.dtype)'),
        ]),
        ('pad_packed_sequence without total_length: N shrinks to the longest dialogue of the batch', [
            (', total_length=N)', ')'),
        ]),
        ('the first layer\'s final state (h_n[0]) instead of the top layer\'s', [
            ('vectors[flat_mask] = h_n[-1]', 'vectors[flat_mask] = h_n[0]'),
        ]),
        ('utterance vectors detached: the utterance encoder never learns from the context', [
            ('vectors[flat_mask] = h_n[-1]', 'vectors[flat_mask] = h_n[-1].detach()'),
        ]),
    ],
    'dual_attention_step': [
        ('no mask: padded turns and lines get weight', [
            ('        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)       # finite: no NaN anywhere\n', ''),
            ('weights = torch.softmax(scores, dim=-1) * mask ', 'weights = torch.softmax(scores, dim=-1) '),
        ]),
        ('-inf fill: a speaker without earlier lines gets NaN', [
            ('torch.finfo(scores.dtype).min)', 'float("-inf"))'),
        ]),
        ('mask applied after the softmax only: real weights no longer sum to 1', [
            ('        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)       # finite: no NaN anywhere\n', ''),
        ]),
        ('masked before the softmax but not after: an all-padding row gets uniform weights', [
            ('weights = torch.softmax(scores, dim=-1) * mask ', 'weights = torch.softmax(scores, dim=-1) '),
        ]),
        ('the masked weights renormalised by their sum: 0 / 0 for an all-padding row', [
            ('weights = torch.softmax(scores, dim=-1) * mask ',
             'weights = torch.exp(scores - scores.max(-1, keepdim=True).values) * mask\n'
             '        weights = weights / weights.sum(-1, keepdim=True) '),
        ]),
        ('the persona attended with the context mask', [
            ('attend(persona, persona_mask)', 'attend(persona, context_mask)'),
        ]),
        ('scores summed over the positions instead of the hidden units', [
            ('scores = (keys @ query.unsqueeze(-1)).squeeze(-1) ', 'scores = (keys * query.unsqueeze(1)).sum(1) '),
        ]),
        ('the two weight tensors returned in the wrong order', [
            ('dim=-1), context_weights, persona_weights', 'dim=-1), persona_weights, context_weights'),
        ]),
        ('persona vector first, context second', [
            ('torch.cat([context_vector, persona_vector], dim=-1)', 'torch.cat([persona_vector, context_vector], dim=-1)'),
        ]),
        ('scores scaled by sqrt(H) (the contract says unscaled dot products)', [
            ('scores = (keys @ query.unsqueeze(-1)).squeeze(-1) ', 'scores = (keys @ query.unsqueeze(-1)).squeeze(-1) / keys.shape[-1] ** 0.5 '),
        ]),
        ('softmax over the batch (dim=0) instead of the positions', [
            ('weights = torch.softmax(scores, dim=-1) * mask ', 'weights = torch.softmax(scores, dim=0) * mask '),
        ]),
        ('the two vectors added instead of concatenated', [
            ('return torch.cat([context_vector, persona_vector], dim=-1), context_weights, persona_weights',
             'return context_vector + persona_vector, context_weights, persona_weights'),
        ]),
        ('fill value -1e4: not low enough when scores are large', [
            ('torch.finfo(scores.dtype).min)', '-1e4)'),
        ]),
        ('fill value -1e9: does not fit in float16', [
            ('torch.finfo(scores.dtype).min)', '-1e9)'),
        ]),
        ('exp of the scores minus the max over ALL positions: a huge padded score wipes out the real ones', [
            ('        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)       # finite: no NaN anywhere\n'
             '        weights = torch.softmax(scores, dim=-1) * mask ',
             '        weights = torch.exp(scores - scores.max(-1, keepdim=True).values) * mask\n'
             '        weights = weights / weights.sum(-1, keepdim=True).clamp_min(1e-12) '),
        ]),
        ('softmax computed in float32: float64 inputs break', [
            ('weights = torch.softmax(scores, dim=-1) * mask ', 'weights = torch.softmax(scores, dim=-1, dtype=torch.float32) * mask '),
        ]),
        ('a Python loop over the batch', '''
def dual_attention_step(query, context, context_mask, persona, persona_mask):
    def attend(keys, mask):
        vectors, weights = [], []
        for b in range(keys.shape[0]):
            w = keys.new_zeros(keys.shape[1])
            real = mask[b]
            if bool(real.any()):
                w = w.masked_scatter(real, torch.softmax(keys[b][real] @ query[b], dim=0))
            weights.append(w)
            vectors.append(w @ keys[b])
        return torch.stack(vectors), torch.stack(weights)

    cv, cw = attend(context, context_mask)
    pv, pw = attend(persona, persona_mask)
    return torch.cat([cv, pv], dim=-1), cw, pw
'''),
    ],
    'normalize_answer': [
        ('not lower-cased', [
            ('    text = text.lower()\n', ''),
        ]),
        ('articles removed with str.replace: "theatre" and "anne" lose letters', [
            ('text = re.sub(r"\\b(a|an|the)\\b", " ", text)',
             'text = text.replace("the ", " ").replace("an ", " ").replace("a ", " ")'),
        ]),
        ('article regex without word boundaries', [
            ('r"\\b(a|an|the)\\b"', 'r"(the|an|a)"'),
        ]),
        ('punctuation stripped only at the ends of words ("don\'t" stays)', [
            ('text = "".join(ch for ch in text if ch not in set(string.punctuation))',
             'text = " ".join(w.strip(string.punctuation) for w in text.split())'),
        ]),
        ('punctuation replaced by a space instead of deleted ("don t")', [
            ('text = "".join(ch for ch in text if ch not in set(string.punctuation))',
             'text = "".join(" " if ch in set(string.punctuation) else ch for ch in text)'),
        ]),
        ('lower-cased after the articles: "The" survives', [
            ('    text = text.lower()\n', ''),
            ('    return " ".join(text.split())', '    return " ".join(text.lower().split())'),
        ]),
        ('articles removed only at the start', [
            ('r"\\b(a|an|the)\\b"', 'r"^(a|an|the)\\b"'),
        ]),
        ('only the first article removed (count=1)', [
            ('re.sub(r"\\b(a|an|the)\\b", " ", text)', 're.sub(r"\\b(a|an|the)\\b", " ", text, count=1)'),
        ]),
        ('only . , ! ? removed', [
            ('if ch not in set(string.punctuation)', 'if ch not in ".,!?"'),
        ]),
        ('articles removed before punctuation ("the-cat" -> "cat", officially "thecat")', [
            ('    text = "".join(ch for ch in text if ch not in set(string.punctuation))\n'
             '    text = re.sub(r"\\b(a|an|the)\\b", " ", text)\n',
             '    text = re.sub(r"\\b(a|an|the)\\b", " ", text)\n'
             '    text = "".join(ch for ch in text if ch not in set(string.punctuation))\n'),
        ]),
        ('casefold() instead of lower()', [
            ('text = text.lower()', 'text = text.casefold()'),
        ]),
        ('split on single spaces: tabs and newlines survive', [
            ('return " ".join(text.split())', 'return " ".join(w for w in text.split(" ") if w)'),
        ]),
        ('unicode punctuation removed too (the official script keeps it)', [
            ('if ch not in set(string.punctuation)', 'if not __import__("unicodedata").category(ch).startswith("P")'),
        ]),
    ],
    'exact_match': [
        ('only the first gold answer', [
            ('max(float(normalized == normalize_answer(gold)) for gold in gold_answers)',
             'float(normalized == normalize_answer(gold_answers[0]))'),
        ]),
        ('no normalisation', [
            ('normalized = normalize_answer(prediction)', 'normalized = prediction'),
            ('normalize_answer(gold)) for gold', 'gold) for gold'),
        ]),
        ('returns a bool', [
            ('max(float(normalized == normalize_answer(gold)) for gold in gold_answers)',
             'max((normalized == normalize_answer(gold)) for gold in gold_answers)'),
        ]),
        ('gold answers not normalised', [
            ('normalize_answer(gold)) for gold', 'gold) for gold'),
        ]),
        ('substring match', [
            ('normalized == normalize_answer(gold)', 'normalized in normalize_answer(gold)'),
        ]),
        ('the prediction only lower-cased and stripped (the golds normalised)', [
            ('normalized = normalize_answer(prediction)', 'normalized = prediction.lower().strip()'),
        ]),
        ('bag of words: order ignored', [
            ('normalized == normalize_answer(gold)', 'sorted(normalized.split()) == sorted(normalize_answer(gold).split())'),
        ]),
        ('only lower-cased and stripped, not normalised', [
            ('normalized = normalize_answer(prediction)', 'normalized = prediction.lower().strip()'),
            ('normalize_answer(gold)) for gold', 'gold.lower().strip()) for gold'),
        ]),
        ('mean over the gold answers instead of the maximum', [
            ('return max(float(normalized == normalize_answer(gold)) for gold in gold_answers)',
             'return sum(float(normalized == normalize_answer(gold)) for gold in gold_answers) / len(gold_answers)'),
        ]),
        ('spaces ignored: "new york" matches "newyork"', [
            ('normalized == normalize_answer(gold)', 'normalized.replace(" ", "") == normalize_answer(gold).replace(" ", "")'),
        ]),
        ('an empty prediction never matches (even an empty gold answer)', [
            ('    normalized = normalize_answer(prediction)\n',
             '    normalized = normalize_answer(prediction)\n    if not normalized:\n        return 0.0\n'),
        ]),
    ],
    'token_f1': [
        ('sets instead of counts: repeated tokens shared once', [
            ('(Counter(pred_tokens) & Counter(gold_tokens))', 'dict.fromkeys(set(pred_tokens) & set(gold_tokens), 1)'),
        ]),
        ('only the first gold answer', [
            ('for gold in gold_answers:', 'for gold in gold_answers[:1]:'),
        ]),
        ('no normalisation', [
            ('pred_tokens = normalize_answer(prediction).split()', 'pred_tokens = prediction.split()'),
            ('gold_tokens = normalize_answer(gold).split()', 'gold_tokens = gold.split()'),
        ]),
        ('characters instead of tokens', [
            ('pred_tokens = normalize_answer(prediction).split()', 'pred_tokens = list(normalize_answer(prediction))'),
            ('gold_tokens = normalize_answer(gold).split()', 'gold_tokens = list(normalize_answer(gold))'),
        ]),
        ('no guard for zero overlap: ZeroDivisionError', [
            ('        if shared == 0:\n            continue\n', ''),
        ]),
        ('mean over the gold answers instead of the maximum', [
            ('best = max(best, 2 * precision * recall / (precision + recall))',
             'best += 2 * precision * recall / (precision + recall) / len(gold_answers)'),
        ]),
        ('recall divided by the prediction\'s length too', [
            ('recall = shared / len(pred_tokens), shared / len(gold_tokens)',
             'recall = shared / len(pred_tokens), shared / len(pred_tokens)'),
        ]),
        ('in percent', [
            ('    return best', '    return 100 * best'),
        ]),
        ('precision only', [
            ('best = max(best, 2 * precision * recall / (precision + recall))', 'best = max(best, precision)'),
        ]),
        ('the last gold answer\'s F1, not the best', [
            ('best = max(best, 2 * precision * recall / (precision + recall))',
             'best = 2 * precision * recall / (precision + recall)'),
        ]),
        ('SQuAD v2.0\'s convention: two empty answers score 1.0', [
            ('        gold_tokens = normalize_answer(gold).split()\n',
             '        gold_tokens = normalize_answer(gold).split()\n'
             '        if not pred_tokens and not gold_tokens:\n            return 1.0\n'),
        ]),
        ('the best precision and the best recall taken from different gold answers', '''
def token_f1(prediction, gold_answers):
    pred_tokens = normalize_answer(prediction).split()
    best_p = best_r = 0.0
    for gold in gold_answers:
        gold_tokens = normalize_answer(gold).split()
        shared = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
        if shared == 0:
            continue
        best_p = max(best_p, shared / len(pred_tokens))
        best_r = max(best_r, shared / len(gold_tokens))
    return 2 * best_p * best_r / (best_p + best_r) if best_p + best_r > 0 else 0.0
'''),
        ('an int 0 when nothing is shared', [
            ('    best = 0.0\n', '    best = 0\n'),
        ]),
    ],
}
