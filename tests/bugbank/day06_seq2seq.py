"""Wrong answers for Day 06 (seq2seq: encoder, decoder step, teacher forcing, decoding, beam search)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'encode_source': [
        ('no packing: the final state is read after the padding', [
            ('    packed, final = rnn(pack(embedding(src), lengths))          # final: last real state of every sequence\n'
             '    states, _ = unpack(packed, total_length=S)                  # (B, S, H)',
             '    states, final = rnn(embedding(src))'),
        ]),
        ('mask inverted (True at padding)', [
            ('    return EncoderOutput(states, final, lengths_to_mask(lengths, S))',
             '    return EncoderOutput(states, final, ~lengths_to_mask(lengths, S))'),
        ]),
        ('final state taken from states[:, -1] (the last column, padding for short rows)', [
            ('    return EncoderOutput(states, final, lengths_to_mask(lengths, S))',
             '    return EncoderOutput(states, states[:, -1].unsqueeze(0), lengths_to_mask(lengths, S))'),
        ]),
        ('unpacked without total_length: states only as wide as the longest sequence', [
            ('    states, _ = unpack(packed, total_length=S)                  # (B, S, H)',
             '    states, _ = unpack(packed)'),
            ('    return EncoderOutput(states, final, lengths_to_mask(lengths, S))',
             '    return EncoderOutput(states, final, lengths_to_mask(lengths))'),
        ]),
        ('final state of the top layer only (wrong for stacked RNNs and LSTMs)', [
            ('    return EncoderOutput(states, final, lengths_to_mask(lengths, S))',
             '    if isinstance(final, tuple):\n'
             '        final = final[0]\n'
             '    return EncoderOutput(states, final[-1:], lengths_to_mask(lengths, S))'),
        ]),
        ('mask from the token ids (src != 0): assumes padding id 0', [
            ('    return EncoderOutput(states, final, lengths_to_mask(lengths, S))',
             '    return EncoderOutput(states, final, src != 0)'),
        ]),
        ('mask returned as 0/1 integers', [
            ('    return EncoderOutput(states, final, lengths_to_mask(lengths, S))',
             '    return EncoderOutput(states, final, lengths_to_mask(lengths, S).long())'),
        ]),
        ("final state gathered from the top layer's states at lengths - 1 (no c for an LSTM, one layer only)", [
            ('    return EncoderOutput(states, final, lengths_to_mask(lengths, S))',
             '    final = states[torch.arange(src.shape[0]), lengths - 1].unsqueeze(0)\n'
             '    return EncoderOutput(states, final, lengths_to_mask(lengths, S))'),
        ]),
        ("an LSTM's final state reduced to h (the decoder only needs h)", [
            ('    return EncoderOutput(states, final, lengths_to_mask(lengths, S))',
             '    if isinstance(final, tuple):\n'
             '        final = final[0]\n'
             '    return EncoderOutput(states, final, lengths_to_mask(lengths, S))'),
        ]),
        ("torch's pack_padded_sequence with its default enforce_sorted=True", [
            ('    packed, final = rnn(pack(embedding(src), lengths))          # final: last real state of every sequence',
             '    packed, final = rnn(nn.utils.rnn.pack_padded_sequence(embedding(src), lengths, batch_first=True))'),
        ]),
        ('states from an unpacked run (padding positions not zero), final state from the packed one', [
            ('    states, _ = unpack(packed, total_length=S)                  # (B, S, H)',
             '    states, _ = rnn(embedding(src))'),
        ]),
        ('unpacked without total_length, mask of the full width', [
            ('    states, _ = unpack(packed, total_length=S)                  # (B, S, H)',
             '    states, _ = unpack(packed)'),
        ]),
        ("an LSTM's final state (h, c) cut to the top layer (GRUs handled right)", [
            ('    return EncoderOutput(states, final, lengths_to_mask(lengths, S))',
             '    if isinstance(final, tuple):\n'
             '        final = (final[0][-1:], final[1][-1:])\n'
             '    return EncoderOutput(states, final, lengths_to_mask(lengths, S))'),
        ]),
    ],
    'decoder_step': [
        ('softmax applied: probabilities instead of logits', [
            ('    return out(output.squeeze(1)), state               # (B, V)',
             '    return torch.softmax(out(output.squeeze(1)), dim=-1), state'),
        ]),
        ('returns the old state', [
            ('    output, state = rnn(emb, state)                    # (B, 1, H)',
             '    output, new_state = rnn(emb, state)'),
        ]),
        ('state not passed: the RNN restarts from zeros every step', [
            ('    output, state = rnn(emb, state)                    # (B, 1, H)',
             '    output, state = rnn(emb)'),
        ]),
        ('.squeeze() without an axis: batch 1 loses its batch axis', [
            ('    return out(output.squeeze(1)), state               # (B, V)',
             '    return out(output.squeeze()), state'),
        ]),
        ("logits from the GRU-style state[-1] (breaks for LSTM's (h, c))", [
            ('    return out(output.squeeze(1)), state               # (B, V)',
             '    return out(state[-1]), state'),
        ]),
        ('new state detached from the graph', [
            ('    return out(output.squeeze(1)), state               # (B, V)',
             '    return out(output.squeeze(1)), state.detach()'),
        ]),
        ("the RNN's output returned as the new state (right only for one GRU layer)", [
            ('    return out(output.squeeze(1)), state               # (B, V)',
             '    return out(output.squeeze(1)), output.transpose(0, 1)'),
        ]),
        ('time axis added in front (unsqueeze(0)) of a batch-first RNN', [
            ('    emb = embedding(prev_tokens).unsqueeze(1)          # (B, 1, E)',
             '    emb = embedding(prev_tokens).unsqueeze(0)'),
        ]),
        ('log-probabilities instead of logits', [
            ('    return out(output.squeeze(1)), state               # (B, V)',
             '    return torch.log_softmax(out(output.squeeze(1)), dim=-1), state'),
        ]),
        ('embedded tokens cast to float32 (breaks a float64 model)', [
            ('    emb = embedding(prev_tokens).unsqueeze(1)', '    emb = embedding(prev_tokens).unsqueeze(1).float()'),
        ]),
    ],
    'teacher_forcing_loss': [
        ('decoder fed the target it must predict (no shift)', [
            ('        logits, state = model.decoder.step(prev, state, enc)                   # (B, V)\n'
             '        steps.append(logits)\n'
             '        use_truth = torch.rand(tgt.shape[0], device=tgt.device) < ratio\n'
             '        prev = torch.where(use_truth, tgt[:, t], logits.argmax(dim=-1))',
             '        logits, state = model.decoder.step(tgt[:, t], state, enc)\n'
             '        steps.append(logits)'),
        ]),
        ('padding counted in the loss', [
            ('        use_truth = torch.rand(tgt.shape[0], device=tgt.device) < ratio\n'
             '        prev = torch.where(use_truth, tgt[:, t], logits.argmax(dim=-1))\n'
             '    targets = tgt[:, 1:]                                                       # (B, T-1)\n'
             '    return masked_cross_entropy(torch.stack(steps, dim=1), targets, targets != model.pad_id)',
             '        use = torch.rand(tgt.shape[0]) < ratio\n'
             '        prev = torch.where(use, tgt[:, t], logits.argmax(-1))\n'
             '    logits = torch.stack(steps, 1)\n'
             '    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1))'),
        ]),
        ('targets shifted by one too many (predicts two steps ahead)', [
            ('    for t in range(1, tgt.shape[1]):',
             '    for t in range(1, tgt.shape[1] - 1):'),
            ('    targets = tgt[:, 1:]                                                       # (B, T-1)',
             '    targets = tgt[:, 2:]'),
        ]),
        ('ratio ignored: always teacher forcing', [
            ('        use_truth = torch.rand(tgt.shape[0], device=tgt.device) < ratio\n'
             '        prev = torch.where(use_truth, tgt[:, t], logits.argmax(dim=-1))',
             '        prev = tgt[:, t]'),
        ]),
        ('sum over tokens divided by the batch size', [
            ('    return masked_cross_entropy(torch.stack(steps, dim=1), targets, targets != model.pad_id)',
             '    logits = torch.stack(steps, dim=1)\n'
             '    per = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")\n'
             '    return (per * (targets.reshape(-1) != model.pad_id)).sum() / tgt.shape[0]'),
        ]),
        ('one coin per step for the whole batch', [
            ('        use_truth = torch.rand(tgt.shape[0], device=tgt.device) < ratio\n'
             '        prev = torch.where(use_truth, tgt[:, t], logits.argmax(dim=-1))',
             '        if torch.rand(1).item() < ratio:\n'
             '            prev = tgt[:, t]\n'
             '        else:\n'
             '            prev = logits.argmax(dim=-1)'),
        ]),
        ('one coin per sequence, drawn once before the loop', [
            ('    prev, steps = tgt[:, 0], []',
             '    prev, steps = tgt[:, 0], []\n'
             '    use_truth = torch.rand(tgt.shape[0]) < ratio'),
            ('        use_truth = torch.rand(tgt.shape[0], device=tgt.device) < ratio\n', ''),
        ]),
        ('padding id assumed to be 0', [
            ('targets != model.pad_id)', 'targets != 0)'),
        ]),
        ("starts from enc.final instead of the decoder's init_state", [
            ('    state = model.decoder.init_state(enc)', '    state = enc.final'),
        ]),
        ('mean of the per-sequence means (short sequences weigh more)', [
            ('    return masked_cross_entropy(torch.stack(steps, dim=1), targets, targets != model.pad_id)',
             '    logits = torch.stack(steps, dim=1)\n'
             '    mask = (targets != model.pad_id).float()\n'
             '    per = nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")\n'
             '    return ((per * mask).sum(1) / mask.sum(1)).mean()'),
        ]),
        ('samples its own prediction instead of taking the arg-max', [
            ('        prev = torch.where(use_truth, tgt[:, t], logits.argmax(dim=-1))',
             '        sampled = torch.multinomial(torch.softmax(logits, dim=-1), 1).squeeze(1)\n'
             '        prev = torch.where(use_truth, tgt[:, t], sampled)'),
        ]),
        ('comparison inverted: the truth with probability 1 - ratio', [
            ('        use_truth = torch.rand(tgt.shape[0], device=tgt.device) < ratio',
             '        use_truth = torch.rand(tgt.shape[0], device=tgt.device) > ratio'),
        ]),
        ("the course's fast path at ratio 1: the decoder's forward_sequence where it has one", [
            ('    state = model.decoder.init_state(enc)',
             '    state = model.decoder.init_state(enc)\n'
             '    if ratio >= 1.0 and hasattr(model.decoder, "forward_sequence"):\n'
             '        logits = model.decoder.forward_sequence(tgt[:, :-1], state, enc)\n'
             '        return masked_cross_entropy(logits, tgt[:, 1:], tgt[:, 1:] != model.pad_id)'),
        ]),
    ],
    'teacher_forcing_ratio': [
        ('increasing: start and end swapped', [
            ('    return start + (end - start) * min(step / decay_steps, 1.0)',
             '    return end + (start - end) * min(step / decay_steps, 1.0)'),
        ]),
        ('not clamped: keeps falling past `end`', [
            ('    return start + (end - start) * min(step / decay_steps, 1.0)',
             '    return start + (end - start) * step / decay_steps'),
        ]),
        ('assumes end = 0', [
            ('    return start + (end - start) * min(step / decay_steps, 1.0)',
             '    return start * max(1.0 - step / decay_steps, 0.0)'),
        ]),
        ('off by one: reaches `end` one step late', [
            ('    return start + (end - start) * min(step / decay_steps, 1.0)',
             '    return start + (end - start) * min(step / (decay_steps + 1), 1.0)'),
        ]),
        ('cosine instead of linear', [
            ('    return start + (end - start) * min(step / decay_steps, 1.0)',
             '    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * min(step / decay_steps, 1.0)))'),
        ]),
        ('rounded to two decimals', [
            ('    return start + (end - start) * min(step / decay_steps, 1.0)',
             '    return round(start + (end - start) * min(step / decay_steps, 1.0), 2)'),
        ]),
        ('slope assumes start - end = 1', [
            ('    return start + (end - start) * min(step / decay_steps, 1.0)',
             '    return max(end, start - step / decay_steps)'),
        ]),
        ('integer division: drops from start to end at decay_steps', [
            ('    return start + (end - start) * min(step / decay_steps, 1.0)',
             '    return start + (end - start) * min(step // decay_steps, 1)'),
        ]),
        ('exponential decay', [
            ('    return start + (end - start) * min(step / decay_steps, 1.0)',
             '    return start * (end / start) ** min(step / decay_steps, 1.0)'),
        ]),
    ],
    'greedy_decode': [
        ('<eos> does not stop: rows keep generating after <eos>', [
            ('            token = logits.argmax(dim=-1).masked_fill(finished, pad_id)',
             '            token = logits.argmax(dim=-1)'),
            ('\n'
             '            if finished.all():\n'
             '                break',
             ''),
        ]),
        ('feeds <bos> at every step instead of its own output', [
            ('    return torch.stack(out, dim=1)',
             '    return torch.stack(out, 1)'),
            ('            prev = token\n',
             ''),
            ('            token = logits.argmax(dim=-1).masked_fill(finished, pad_id)',
             '            token = logits.argmax(-1).masked_fill(finished, pad_id)'),
            ('        prev = torch.full((B,), bos_id, dtype=torch.long, device=enc.mask.device)\n'
             '        finished = torch.zeros(B, dtype=torch.bool, device=enc.mask.device)',
             '        prev = torch.full((B,), bos_id, dtype=torch.long)\n'
             '        finished = torch.zeros(B, dtype=torch.bool)'),
        ]),
        ('stops when the first row finishes', [
            ('    return torch.stack(out, dim=1)',
             '    return torch.stack(out, 1)'),
            ('            if finished.all():',
             '            if finished.any():'),
            ('            token = logits.argmax(dim=-1).masked_fill(finished, pad_id)',
             '            token = logits.argmax(-1).masked_fill(finished, pad_id)'),
            ('        prev = torch.full((B,), bos_id, dtype=torch.long, device=enc.mask.device)\n'
             '        finished = torch.zeros(B, dtype=torch.bool, device=enc.mask.device)',
             '        prev = torch.full((B,), bos_id, dtype=torch.long)\n'
             '        finished = torch.zeros(B, dtype=torch.bool)'),
        ]),
        ('tokens after <eos> not replaced by <pad>', [
            ('    return torch.stack(out, dim=1)',
             '    return torch.stack(out, 1)'),
            ('            token = logits.argmax(dim=-1).masked_fill(finished, pad_id)',
             '            token = logits.argmax(-1)'),
            ('        prev = torch.full((B,), bos_id, dtype=torch.long, device=enc.mask.device)\n'
             '        finished = torch.zeros(B, dtype=torch.bool, device=enc.mask.device)',
             '        prev = torch.full((B,), bos_id, dtype=torch.long)\n'
             '        finished = torch.zeros(B, dtype=torch.bool)'),
        ]),
        ('one step too many: max_len + 1 tokens without <eos>', [
            ('    return torch.stack(out, dim=1)',
             '    return torch.stack(out, 1)'),
            ('            token = logits.argmax(dim=-1).masked_fill(finished, pad_id)',
             '            token = logits.argmax(-1).masked_fill(finished, pad_id)'),
            ('        for _ in range(max_len):',
             '        for _ in range(max_len + 1):'),
            ('        prev = torch.full((B,), bos_id, dtype=torch.long, device=enc.mask.device)\n'
             '        finished = torch.zeros(B, dtype=torch.bool, device=enc.mask.device)',
             '        prev = torch.full((B,), bos_id, dtype=torch.long)\n'
             '        finished = torch.zeros(B, dtype=torch.bool)'),
        ]),
        ('padding hard-coded to id 0', [
            ('            token = logits.argmax(dim=-1).masked_fill(finished, pad_id)',
             '            token = logits.argmax(dim=-1).masked_fill(finished, 0)'),
        ]),
        ('stops only when every row produces <eos> at the same step', [
            ('            if finished.all():',
             '            if (token == eos_id).all():'),
        ]),
        ('batch size read from enc.final (breaks for an LSTM state)', [
            ('    B = enc.mask.shape[0]', '    B = enc.final.shape[1]'),
        ]),
        ("a row's own <eos> replaced by <pad> (finished marked before masking)", [
            ('            token = logits.argmax(dim=-1).masked_fill(finished, pad_id)\n'
             '            out.append(token)\n'
             '            finished = finished | (token == eos_id)',
             '            token = logits.argmax(dim=-1)\n'
             '            finished = finished | (token == eos_id)\n'
             '            token = token.masked_fill(finished, pad_id)\n'
             '            out.append(token)'),
        ]),
        ('<bos> hard-coded to id 2', [
            ('        prev = torch.full((B,), bos_id, dtype=torch.long, device=enc.mask.device)',
             '        prev = torch.full((B,), 2, dtype=torch.long, device=enc.mask.device)'),
        ]),
    ],
    'beam_search_step': [
        ('the live beams may end with <eos> (plain top-K over all candidates)', [
            ('live = order[order % V != eos_id].reshape(B, K * V - K)[:, :K]', 'live = order[:, :K]'),
        ]),
        ('parent and token decoded with K instead of V', [
            ('live // V, live % V, ended', 'live % K, live // K, ended'),
        ]),
        ("every beam's <eos> continuation reported as ended, ranked among the best K or not", [
            ('eos_in_top_k = rank.reshape(B, K, V)[:, :, eos_id] < K', 'eos_in_top_k = rank.reshape(B, K, V)[:, :, eos_id] >= 0'),
        ]),
        ('off by one: an <eos> candidate ranked (K + 1)-th still counts as ended', [
            ('eos_in_top_k = rank.reshape(B, K, V)[:, :, eos_id] < K', 'eos_in_top_k = rank.reshape(B, K, V)[:, :, eos_id] <= K'),
        ]),
        ("exact ties go to the highest flat index (not argmax's lowest id first)", [
            ('order = torch.sort(candidates, dim=1, descending=True, stable=True).indices',
             'order = K * V - 1 - torch.sort(candidates.flip(1), dim=1, descending=True, stable=True).indices'),
        ]),
        ('torch.topk instead of a stable sort: ties in any order', [
            ('order = torch.sort(candidates, dim=1, descending=True, stable=True).indices',
             'order = torch.topk(candidates, K * V, dim=1).indices'),
        ]),
        ('sort without stable=True', [
            ('order = torch.sort(candidates, dim=1, descending=True, stable=True).indices',
             'order = torch.sort(candidates, dim=1, descending=True).indices'),
        ]),
        ("an <eos> counts when it is at least the K-th live beam's score", [
            ('eos_in_top_k = rank.reshape(B, K, V)[:, :, eos_id] < K',
             'eos_in_top_k = scores + log_probs[:, :, eos_id] >= candidates.gather(1, live)[:, -1:]'),
        ]),
        ('ended built as float32', [
            ('    ended = torch.where(eos_in_top_k, scores + log_probs[:, :, eos_id], torch.tensor(float("-inf"), dtype=scores.dtype))',
             '    ended = torch.full((B, K), float("-inf"))\n'
             '    ended[eos_in_top_k] = (scores + log_probs[:, :, eos_id])[eos_in_top_k].float()'),
        ]),
        ("candidates ranked by this step's log-probabilities only", [
            ('    candidates = (scores.unsqueeze(-1) + log_probs).reshape(B, K * V)',
             '    candidates = log_probs.reshape(B, K * V)'),
        ]),
    ],
    'length_normalised': [
        ('not normalised: raw scores', [
            ('    return scores / lengths.clamp(min=1).to(scores.dtype) ** alpha',
             '    return scores.clone()'),
        ]),
        ('alpha ignored: always divides by the length', [
            ('    return scores / lengths.clamp(min=1).to(scores.dtype) ** alpha',
             '    return scores / lengths.clamp(min=1)'),
        ]),
        ('multiplies by length ** alpha', [
            ('    return scores / lengths.clamp(min=1).to(scores.dtype) ** alpha',
             '    return scores * lengths.clamp(min=1) ** alpha'),
        ]),
        ('length 0 not guarded (division by zero)', [
            ('    return scores / lengths.clamp(min=1).to(scores.dtype) ** alpha',
             '    return scores / lengths.to(scores.dtype) ** alpha'),
        ]),
        ('alpha multiplies the length instead of being its exponent', [
            ('    return scores / lengths.clamp(min=1).to(scores.dtype) ** alpha',
             '    return scores / (lengths.clamp(min=1) * alpha)'),
        ]),
        ("GNMT's length penalty ((5 + length) / 6) ** alpha", [
            ('    return scores / lengths.clamp(min=1).to(scores.dtype) ** alpha',
             '    return scores / ((5 + lengths) / 6) ** alpha'),
        ]),
        ('result cast to float32', [
            ('    return scores / lengths.clamp(min=1).to(scores.dtype) ** alpha',
             '    return (scores / lengths.clamp(min=1) ** alpha).float()'),
        ]),
        ('<eos> not counted in the length', [
            ('    return scores / lengths.clamp(min=1).to(scores.dtype) ** alpha',
             '    return scores / (lengths - 1).clamp(min=1).to(scores.dtype) ** alpha'),
        ]),
        ('a loop over the first axis (fails on 0-dim scores)', """
def length_normalised(scores, lengths, alpha):
    return torch.stack([s / l.clamp(min=1).to(s.dtype) ** alpha for s, l in zip(scores, lengths)])
"""),
    ],
}
