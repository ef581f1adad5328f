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
    ],
}
