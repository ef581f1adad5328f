"""Wrong answers for Day 05 (batching variable lengths; a BiLSTM tagger)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'pad_batch': [
        ('padding at the front (left-padded)', [
            ('        padded[i, : s.shape[0]] = s                                              # row i: (L_i, ...)',
             '        padded[i, padded.shape[1] - s.shape[0]:] = s'),
        ]),
        ('lengths all set to the longest length', [
            ('    return padded, lengths',
             '    return padded, torch.full((len(seqs),), padded.shape[1], dtype=torch.long)'),
        ]),
        ("float tensor of zeros regardless of the sequences' dtype", [
            ('    padded = seqs[0].new_full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), pad_value)',
             '    padded = torch.full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), float(pad_value))'),
        ]),
        ('pad_value ignored (always 0)', [
            ('    padded = seqs[0].new_full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), pad_value)',
             '    padded = seqs[0].new_zeros((len(seqs), int(lengths.max()), *seqs[0].shape[1:]))'),
        ]),
        ('only 1-D sequences handled (feature dimension dropped)', [
            ('    padded = seqs[0].new_full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), pad_value)',
             '    padded = seqs[0].new_full((len(seqs), int(lengths.max())), pad_value)'),
            ('        padded[i, : s.shape[0]] = s                                              # row i: (L_i, ...)',
             '        padded[i, : s.shape[0]] = s if s.dim() == 1 else s[:, 0]'),
        ]),
        # whole answer: delegates to torch's pad_sequence, a different structure
        ("delegates to torch's pad_sequence", '''
def pad_batch(seqs, pad_value=0):
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    return nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=pad_value), lengths
'''),
        ('lengths counted with numel (L_i * D for vectors)', [
            ('    lengths = torch.tensor([s.shape[0] for s in seqs], dtype=torch.long)        # (B,)',
             '    lengths = torch.tensor([s.numel() for s in seqs], dtype=torch.long)        # (B,)'),
            ('    padded = seqs[0].new_full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), pad_value)',
             '    padded = seqs[0].new_full((len(seqs), max(s.shape[0] for s in seqs), *seqs[0].shape[1:]), pad_value)'),
        ]),
        ('L_max taken from the first sequence', [
            ('    padded = seqs[0].new_full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), pad_value)',
             '    padded = seqs[0].new_full((len(seqs), seqs[0].shape[0], *seqs[0].shape[1:]), pad_value)'),
        ]),
        ('lengths returned as a Python list', [
            ('    return padded, lengths',
             '    return padded, [s.shape[0] for s in seqs]'),
        ]),
        ('padded tensor always torch.long', [
            ('    padded = seqs[0].new_full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), pad_value)',
             '    padded = torch.full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), pad_value, dtype=torch.long)'),
        ]),
        # whole answer: pads through a nested tensor, torch's own padding
        ('delegates to a nested tensor', '''
def pad_batch(seqs, pad_value=0):
    lengths = torch.tensor([s.shape[0] for s in seqs], dtype=torch.long)
    return torch.nested.nested_tensor(list(seqs)).to_padded_tensor(pad_value), lengths
'''),
    ],
    'length_mask': [
        ('mask inverted (True at padding)', [
            ('    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]   # (1, T) < (B, 1) -> (B, T)',
             '    return torch.arange(max_len, device=lengths.device)[None, :] >= lengths[:, None]   # (1, T) < (B, 1) -> (B, T)'),
        ]),
        ('off by one (<= instead of <)', [
            ('    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]   # (1, T) < (B, 1) -> (B, T)',
             '    return torch.arange(max_len, device=lengths.device)[None, :] <= lengths[:, None]   # (1, T) < (B, 1) -> (B, T)'),
        ]),
        ('float mask instead of bool', [
            ('    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]   # (1, T) < (B, 1) -> (B, T)',
             '    return (torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]).float()'),
        ]),
        ('max_len ignored', [
            ('    if max_len is None:\n'
             '        max_len = int(lengths.max())',
             '    max_len = int(lengths.max())'),
        ]),
        ('assumes the first sentence is the longest', [
            ('        max_len = int(lengths.max())',
             '        max_len = int(lengths[0])'),
        ]),
        ('assumes the last sentence is the longest', [
            ('        max_len = int(lengths.max())',
             '        max_len = int(lengths[-1])'),
        ]),
        ('mask transposed: (max_len, B)', [
            ('    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]   # (1, T) < (B, 1) -> (B, T)',
             '    return torch.arange(max_len, device=lengths.device)[:, None] < lengths[None, :]'),
        ]),
        ('default max_len is the batch size', [
            ('        max_len = int(lengths.max())',
             '        max_len = len(lengths)'),
        ]),
        ('lengths decremented in place, then compared with <=', [
            ('    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]   # (1, T) < (B, 1) -> (B, T)',
             '    lengths -= 1\n'
             '    return torch.arange(max_len, device=lengths.device)[None, :] <= lengths[:, None]'),
        ]),
        ('max_len defaults to the batch size, not the longest length', [
            ('        max_len = int(lengths.max())', '        max_len = len(lengths)'),
        ]),
    ],
    'masked_ce': [
        ('mean over all positions, padding included in the count (the textbook bug)', [
            ('    return (per_token * mask).sum() / mask.sum()',
             '    return (per_token * mask).mean()'),
        ]),
        ('no mask: padding counted in the loss', [
            ('    return (per_token * mask).sum() / mask.sum()',
             '    return nn.functional.cross_entropy(logits.reshape(B * L, C), targets.reshape(B * L))'),
        ]),
        ('sum over real tokens, not the mean', [
            ('    return (per_token * mask).sum() / mask.sum()',
             '    return (per_token * mask).sum()'),
        ]),
        ('mean of per-sentence means', [
            ('    return (per_token * mask).sum() / mask.sum()',
             '    return ((per_token * mask).sum(1) / mask.sum(1)).mean()'),
        ]),
        ('mask inverted', [
            ('    return (per_token * mask).sum() / mask.sum()',
             '    return (per_token * ~mask).sum() / (~mask).sum().clamp(min=1)'),
        ]),
        ('sum over real tokens divided by the batch size', [
            ('    return (per_token * mask).sum() / mask.sum()',
             '    return (per_token * mask).sum() / B'),
        ]),
        ('ignore_index=0 instead of the mask (padding guessed from the targets)', [
            ('    return (per_token * mask).sum() / mask.sum()',
             '    return nn.functional.cross_entropy(logits.reshape(B * L, C), targets.reshape(B * L), ignore_index=0)'),
        ]),
        ('mask taken as targets != 0', [
            ('    return (per_token * mask).sum() / mask.sum()',
             '    real = targets != 0\n'
             '    return (per_token * real).sum() / real.sum()'),
        ]),
        ('logits masked instead of the losses', [
            ('    return (per_token * mask).sum() / mask.sum()',
             '    return nn.functional.cross_entropy((logits * mask[..., None]).reshape(B * L, C), targets.reshape(B * L))'),
        ]),
        ('returns a Python float (.item())', [
            ('    return (per_token * mask).sum() / mask.sum()',
             '    return ((per_token * mask).sum() / mask.sum()).item()'),
        ]),
        ('float32 accumulator: float64 logits give a float32 loss', [
            ('    return (per_token * mask).sum() / mask.sum()',
             '    total = torch.zeros(())\n'
             '    total += (per_token * mask).sum()\n'
             '    return total / mask.sum()'),
        ]),
        # whole answer: log-softmax by hand, with a squeeze that breaks when L = 1
        ('log-probabilities gathered by hand, squeezed (wrong when L = 1)', '''
def masked_ce(logits, targets, mask):
    log_probs = torch.log_softmax(logits, dim=-1)                        # (B, L, C)
    nll = -log_probs.gather(-1, targets.unsqueeze(-1)).squeeze()         # (B, L)
    return (nll * mask).sum() / mask.sum()
'''),
        ('softmax then log: underflows to -log(0) for confident logits', """
def masked_ce(logits, targets, mask):
    p = torch.softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return -torch.log(p)[mask].sum() / mask.sum()
"""),
        ('mask turned into lengths: the first mask.sum() positions of each row', """
def masked_ce(logits, targets, mask):
    lengths = mask.sum(1)
    total, count = 0.0, 0
    for b in range(logits.shape[0]):
        n = int(lengths[b])
        total = total + nn.functional.cross_entropy(logits[b, :n], targets[b, :n], reduction="sum")
        count += n
    return total / count
"""),
    ],
    'run_packed': [
        # whole answer: a different structure: no packing, the padded batch is run as is and masked afterwards
        ('no packing: the LSTM reads the padding', '''
def run_packed(lstm, x, lengths):
    out, (h_n, c_n) = lstm(x)
    return out * length_mask(lengths, x.shape[1])[..., None], (h_n, c_n)
'''),
        ('enforce_sorted=True with unsorted lengths', [
            ('    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)',
             '    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True)'),
        ]),
        ('sorted by length, order not restored', [
            ('    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)',
             '    order = torch.argsort(lengths, descending=True)\n'
             '    packed = pack_padded_sequence(x[order], lengths[order].cpu(), batch_first=True)'),
        ]),
        ('outputs restored to the original order, final states not', [
            ('    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)',
             '    order = torch.argsort(lengths, descending=True)\n'
             '    packed = pack_padded_sequence(x[order], lengths[order].cpu(), batch_first=True)'),
            ('    return out, (h_n, c_n)',
             '    return out[torch.argsort(order)], (h_n, c_n)'),
        ]),
        ('total_length not given: out is only as long as the longest sentence', [
            ('    out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=x.shape[1])   # (B, T, dirs * H)',
             "    out, _ = pad_packed_sequence(packed_out, batch_first=True)   # (B, T', dirs * H)"),
        ]),
        ('final state read from out at the last real step (wrong for the backward direction and lower layers)', [
            ('    return out, (h_n, c_n)',
             '    last = out[torch.arange(x.shape[0]), lengths - 1, :lstm.hidden_size]\n'
             '    return out, (last.unsqueeze(0).expand_as(h_n).contiguous(), c_n)'),
        ]),
        ('lengths not moved to the CPU for packing', [
            ('    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)',
             '    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)'),
        ]),
        ('final states read from out for both directions, layers ignored', [
            ('    return out, (h_n, c_n)',
             '    H = lstm.hidden_size\n'
             '    fwd = out[torch.arange(x.shape[0]), lengths - 1, :H]\n'
             '    h_last = torch.stack([fwd, out[:, 0, H:]]) if lstm.bidirectional else fwd[None]\n'
             '    return out, (h_last, c_n)'),
        ]),
        ('order restored with the sorting permutation instead of its inverse', [
            ('    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)',
             '    order = torch.argsort(lengths, descending=True)\n'
             '    packed = pack_padded_sequence(x[order], lengths[order].cpu(), batch_first=True)'),
            ('    return out, (h_n, c_n)',
             '    return out[order], (h_n[:, order], c_n[:, order])'),
        ]),
        ('final states from the LSTM run on the padded batch', [
            ('    return out, (h_n, c_n)',
             '    _, (h_n, c_n) = lstm(x)\n'
             '    return out, (h_n, c_n)'),
        ]),
    ],
    'VariationalDropout': [
        ('a new mask at every time step (ordinary dropout)', [
            ('        if not self.training or self.p == 0.0:\n'
             '            return x\n'
             '        keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p      # (B, 1, D)\n'
             '        return x * keep.to(x.dtype) / (1.0 - self.p)                               # broadcast over T',
             '        return nn.functional.dropout(x, self.p, self.training)'),
        ]),
        ('kept units not rescaled by 1 / (1 - p)', [
            ('        keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p      # (B, 1, D)\n'
             '        return x * keep.to(x.dtype) / (1.0 - self.p)                               # broadcast over T',
             '        return x * (torch.rand(x.shape[0], 1, x.shape[2]) >= self.p).to(x.dtype)'),
            ('        if not self.training or self.p == 0.0:',
             '        if not self.training or self.p == 0:'),
        ]),
        ('also drops in eval mode', [
            ('        keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p      # (B, 1, D)\n'
             '        return x * keep.to(x.dtype) / (1.0 - self.p)                               # broadcast over T',
             '        return x * (torch.rand(x.shape[0], 1, x.shape[2]) >= self.p).to(x.dtype) / (1 - self.p)'),
            ('        if not self.training or self.p == 0.0:',
             '        if self.p == 0:'),
        ]),
        ('one mask shared by the whole batch', [
            ('        keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p      # (B, 1, D)\n'
             '        return x * keep.to(x.dtype) / (1.0 - self.p)                               # broadcast over T',
             '        return x * (torch.rand(1, 1, x.shape[2]) >= self.p).to(x.dtype) / (1 - self.p)'),
            ('        if not self.training or self.p == 0.0:',
             '        if not self.training or self.p == 0:'),
        ]),
        ('keeps units with probability p instead of 1 - p', [
            ('        keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p      # (B, 1, D)\n'
             '        return x * keep.to(x.dtype) / (1.0 - self.p)                               # broadcast over T',
             '        return x * (torch.rand(x.shape[0], 1, x.shape[2]) < self.p).to(x.dtype) / (1 - self.p)'),
            ('        if not self.training or self.p == 0.0:',
             '        if not self.training or self.p == 0:'),
        ]),
        ('mask made in float32: float64 input comes back float32', [
            ('        keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p      # (B, 1, D)\n'
             '        return x * keep.to(x.dtype) / (1.0 - self.p)                               # broadcast over T',
             '        mask = (torch.rand(x.shape[0], 1, x.shape[2]) >= self.p).float() / (1 - self.p)\n'
             '        return x.float() * mask'),
            ('        if not self.training or self.p == 0.0:',
             '        if not self.training or self.p == 0:'),
        ]),
        ('mask cast to float32 (float16 input comes back float32)', [
            ('        return x * keep.to(x.dtype) / (1.0 - self.p)                               # broadcast over T',
             '        return x * keep.float() / (1.0 - self.p)'),
        ]),
        ('x multiplied in place', [
            ('        return x * keep.to(x.dtype) / (1.0 - self.p)                               # broadcast over T',
             '        return x.mul_(keep.to(x.dtype) / (1.0 - self.p))'),
        ]),
        ('mask drawn with F.dropout on a tensor of ones', [
            ('        keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p      # (B, 1, D)\n'
             '        return x * keep.to(x.dtype) / (1.0 - self.p)                               # broadcast over T',
             '        mask = nn.functional.dropout(x.new_ones(x.shape[0], 1, x.shape[2]), self.p, training=True)\n'
             '        return x * mask'),
        ]),
        ('mask drawn once and reused at every call', [
            ('        keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p      # (B, 1, D)\n',
             '        if getattr(self, "keep", None) is None or self.keep.shape[::2] != x.shape[::2]:\n'
             '            self.keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p\n'
             '        keep = self.keep\n'),
        ]),
        ('mask of shape (1, T, D): shared by the batch, new at every step', [
            ('        keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p      # (B, 1, D)',
             '        keep = torch.rand(1, x.shape[1], x.shape[2], device=x.device) >= self.p'),
        ]),
        ('mask of shape (B, T, 1): whole time steps dropped', [
            ('        keep = torch.rand(x.shape[0], 1, x.shape[2], device=x.device) >= self.p      # (B, 1, D)',
             '        keep = torch.rand(x.shape[0], x.shape[1], 1, device=x.device) >= self.p'),
        ]),
        ('training flag inverted: drops in eval mode only', [
            ('        if not self.training or self.p == 0.0:',
             '        if self.training or self.p == 0.0:'),
        ]),
        ('scaled by (1 - p) instead of 1 / (1 - p)', [
            ('        return x * keep.to(x.dtype) / (1.0 - self.p)                               # broadcast over T',
             '        return x * keep.to(x.dtype) * (1.0 - self.p)'),
        ]),
        ('mask made float32 with keep.float(): float16 x comes back float32', [
            ('        return x * keep.to(x.dtype) / (1.0 - self.p)', '        return x * keep.float() / (1.0 - self.p)'),
        ]),
        ('x multiplied in place', [
            ('        return x * keep.to(x.dtype) / (1.0 - self.p)',
             '        x.mul_(keep.to(x.dtype) / (1.0 - self.p))\n        return x'),
        ]),
    ],
    'BiLSTMTagger': [
        ('no packing: the backward direction reads the padding', [
            ('        x = self.drop(self.embed(ids))                   # (B, T, E)\n'
             '        out, _ = run_packed(self.lstm, x, lengths)       # (B, T, 2H), zeros at padding',
             '        out, _ = self.lstm(self.drop(self.embed(ids)))'),
        ]),
        ('one direction only', [
            ('        self.head = nn.Linear(2 * hidden_size, num_tags)',
             '        self.head = nn.Linear(hidden_size, num_tags)'),
            ('        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True,',
             '        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True,'),
        ]),
        ('dropout between layers not passed to nn.LSTM', [
            ('        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True,\n'
             '                            dropout=dropout if num_layers > 1 else 0.0)',
             '        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True)'),
        ]),
        ('padding_idx not set on the embedding', [
            ('        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)',
             '        self.embed = nn.Embedding(vocab_size, embed_dim)'),
        ]),
        ('head applied to the final states: one prediction per sentence', [
            ('        x = self.drop(self.embed(ids))                   # (B, T, E)\n'
             '        out, _ = run_packed(self.lstm, x, lengths)       # (B, T, 2H), zeros at padding\n'
             '        return self.head(self.drop(out))                 # (B, T, num_tags)',
             '        _, (h_n, _) = run_packed(self.lstm, self.drop(self.embed(ids)), lengths)\n'
             '        return self.head(torch.cat([h_n[-2], h_n[-1]], dim=-1))'),
        ]),
        ('num_layers ignored', [
            ('        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True,\n'
             '                            dropout=dropout if num_layers > 1 else 0.0)',
             '        self.lstm = nn.LSTM(embed_dim, hidden_size, bidirectional=True, batch_first=True)'),
        ]),
        ('nn.Dropout instead of VariationalDropout', [
            ('        self.drop = VariationalDropout(dropout)',
             '        self.drop = nn.Dropout(dropout)'),
        ]),
        ('dropout on the embeddings only', [
            ('        return self.head(self.drop(out))                 # (B, T, num_tags)',
             '        return self.head(out)                            # (B, T, num_tags)'),
        ]),
        ('dropout applied to the logits, after the head', [
            ('        return self.head(self.drop(out))                 # (B, T, num_tags)',
             '        return self.drop(self.head(out))                 # (B, T, num_tags)'),
        ]),
        ('padding id 0 hard-coded in the embedding', [
            ('        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)',
             '        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)'),
        ]),
        ('VariationalDropout with its default p, not dropout', [
            ('        self.drop = VariationalDropout(dropout)',
             '        self.drop = VariationalDropout()'),
        ]),
        ('LSTM of hidden_size // 2 per direction, head of hidden_size', [
            ('        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True,',
             '        self.lstm = nn.LSTM(embed_dim, hidden_size // 2, num_layers=num_layers, bidirectional=True, batch_first=True,'),
            ('        self.head = nn.Linear(2 * hidden_size, num_tags)',
             '        self.head = nn.Linear(hidden_size, num_tags)'),
        ]),
        ('sorted by length for the LSTM, order not restored', [
            ('        out, _ = run_packed(self.lstm, x, lengths)       # (B, T, 2H), zeros at padding',
             '        order = torch.argsort(lengths, descending=True)\n'
             '        out, _ = run_packed(self.lstm, x[order], lengths[order])'),
        ]),
        ('dropout passed to nn.LSTM even with one layer', [
            ('dropout=dropout if num_layers > 1 else 0.0', 'dropout=dropout'),
        ]),
        ('no dropout between the LSTM layers', [
            ('dropout=dropout if num_layers > 1 else 0.0', 'dropout=0.0'),
        ]),
        ('lengths recounted as ids != pad_id instead of the lengths given', [
            ('        out, _ = run_packed(self.lstm, x, lengths)',
             '        out, _ = run_packed(self.lstm, x, (ids != self.embed.padding_idx).sum(1))'),
        ]),
    ],
}
