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
    ],
}
