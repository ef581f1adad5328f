"""Wrong answers for Day 05 (batching variable lengths; a BiLSTM tagger)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'pad_batch': [
        ('padding at the front (left-padded)', '''
def pad_batch(seqs, pad_value=0):
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    L = int(lengths.max())
    padded = seqs[0].new_full((len(seqs), L, *seqs[0].shape[1:]), pad_value)
    for i, s in enumerate(seqs):
        padded[i, L - len(s):] = s
    return padded, lengths
'''),
        ('lengths all set to the longest length', '''
def pad_batch(seqs, pad_value=0):
    L = max(len(s) for s in seqs)
    padded = seqs[0].new_full((len(seqs), L, *seqs[0].shape[1:]), pad_value)
    for i, s in enumerate(seqs):
        padded[i, :len(s)] = s
    return padded, torch.full((len(seqs),), L, dtype=torch.long)
'''),
        ("float tensor of zeros regardless of the sequences' dtype", '''
def pad_batch(seqs, pad_value=0):
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    padded = torch.full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), float(pad_value))
    for i, s in enumerate(seqs):
        padded[i, :len(s)] = s
    return padded, lengths
'''),
        ('pad_value ignored (always 0)', '''
def pad_batch(seqs, pad_value=0):
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    padded = seqs[0].new_zeros((len(seqs), int(lengths.max()), *seqs[0].shape[1:]))
    for i, s in enumerate(seqs):
        padded[i, :len(s)] = s
    return padded, lengths
'''),
        ('only 1-D sequences handled (feature dimension dropped)', '''
def pad_batch(seqs, pad_value=0):
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    padded = seqs[0].new_full((len(seqs), int(lengths.max())), pad_value)
    for i, s in enumerate(seqs):
        padded[i, :len(s)] = s if s.dim() == 1 else s[:, 0]
    return padded, lengths
'''),
        ("delegates to torch's pad_sequence", '''
def pad_batch(seqs, pad_value=0):
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.long)
    return nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=pad_value), lengths
'''),
    ],
    'length_mask': [
        ('mask inverted (True at padding)', '''
def length_mask(lengths, max_len=None):
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len)[None, :] >= lengths[:, None]
'''),
        ('off by one (<= instead of <)', '''
def length_mask(lengths, max_len=None):
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len)[None, :] <= lengths[:, None]
'''),
        ('float mask instead of bool', '''
def length_mask(lengths, max_len=None):
    max_len = int(lengths.max()) if max_len is None else max_len
    return (torch.arange(max_len)[None, :] < lengths[:, None]).float()
'''),
        ('max_len ignored', '''
def length_mask(lengths, max_len=None):
    return torch.arange(int(lengths.max()))[None, :] < lengths[:, None]
'''),
        ('assumes the first sentence is the longest', '''
def length_mask(lengths, max_len=None):
    max_len = int(lengths[0]) if max_len is None else max_len
    return torch.arange(max_len)[None, :] < lengths[:, None]
'''),
    ],
    'masked_ce': [
        ('mean over all positions, padding included in the count (the textbook bug)', '''
def masked_ce(logits, targets, mask):
    B, L, C = logits.shape
    per_token = nn.functional.cross_entropy(logits.reshape(B * L, C), targets.reshape(B * L), reduction="none")
    return (per_token.reshape(B, L) * mask).mean()
'''),
        ('no mask: padding counted in the loss', '''
def masked_ce(logits, targets, mask):
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
'''),
        ('sum over real tokens, not the mean', '''
def masked_ce(logits, targets, mask):
    B, L, C = logits.shape
    per_token = nn.functional.cross_entropy(logits.reshape(B * L, C), targets.reshape(B * L), reduction="none")
    return (per_token.reshape(B, L) * mask).sum()
'''),
        ('mean of per-sentence means', '''
def masked_ce(logits, targets, mask):
    B, L, C = logits.shape
    per_token = nn.functional.cross_entropy(logits.reshape(B * L, C), targets.reshape(B * L),
                                            reduction="none").reshape(B, L)
    return ((per_token * mask).sum(1) / mask.sum(1)).mean()
'''),
        ('mask inverted', '''
def masked_ce(logits, targets, mask):
    B, L, C = logits.shape
    per_token = nn.functional.cross_entropy(logits.reshape(B * L, C), targets.reshape(B * L),
                                            reduction="none").reshape(B, L)
    return (per_token * ~mask).sum() / (~mask).sum().clamp(min=1)
'''),
        ('sum over real tokens divided by the batch size', '''
def masked_ce(logits, targets, mask):
    B, L, C = logits.shape
    per_token = nn.functional.cross_entropy(logits.reshape(B * L, C), targets.reshape(B * L),
                                            reduction="none").reshape(B, L)
    return (per_token * mask).sum() / B
'''),
    ],
    'run_packed': [
        ('no packing: the LSTM reads the padding', '''
def run_packed(lstm, x, lengths):
    out, (h_n, c_n) = lstm(x)
    return out * length_mask(lengths, x.shape[1])[..., None], (h_n, c_n)
'''),
        ('enforce_sorted=True with unsorted lengths', '''
def run_packed(lstm, x, lengths):
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True)
    out, state = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, state
'''),
        ('sorted by length, order not restored', '''
def run_packed(lstm, x, lengths):
    order = torch.argsort(lengths, descending=True)
    packed = pack_padded_sequence(x[order], lengths[order].cpu(), batch_first=True)
    out, state = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, state
'''),
        ('outputs restored to the original order, final states not', '''
def run_packed(lstm, x, lengths):
    order = torch.argsort(lengths, descending=True)
    packed = pack_padded_sequence(x[order], lengths[order].cpu(), batch_first=True)
    out, (h_n, c_n) = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out[torch.argsort(order)], (h_n, c_n)
'''),
        ('total_length not given: out is only as long as the longest sentence', '''
def run_packed(lstm, x, lengths):
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, state = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True)
    return out, state
'''),
        ('final state read from out at the last real step (wrong for the backward direction and lower layers)', '''
def run_packed(lstm, x, lengths):
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, (h_n, c_n) = lstm(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    last = out[torch.arange(x.shape[0]), lengths - 1, :lstm.hidden_size]
    return out, (last.unsqueeze(0).expand_as(h_n).contiguous(), c_n)
'''),
    ],
    'VariationalDropout': [
        ('a new mask at every time step (ordinary dropout)', '''
class VariationalDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        return nn.functional.dropout(x, self.p, self.training)
'''),
        ('kept units not rescaled by 1 / (1 - p)', '''
class VariationalDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return x * (torch.rand(x.shape[0], 1, x.shape[2]) >= self.p).to(x.dtype)
'''),
        ('also drops in eval mode', '''
class VariationalDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        if self.p == 0:
            return x
        return x * (torch.rand(x.shape[0], 1, x.shape[2]) >= self.p).to(x.dtype) / (1 - self.p)
'''),
        ('one mask shared by the whole batch', '''
class VariationalDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return x * (torch.rand(1, 1, x.shape[2]) >= self.p).to(x.dtype) / (1 - self.p)
'''),
        ('keeps units with probability p instead of 1 - p', '''
class VariationalDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return x * (torch.rand(x.shape[0], 1, x.shape[2]) < self.p).to(x.dtype) / (1 - self.p)
'''),
        ('mask made in float32: float64 input comes back float32', '''
class VariationalDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        mask = (torch.rand(x.shape[0], 1, x.shape[2]) >= self.p).float() / (1 - self.p)
        return x.float() * mask
'''),
    ],
    'BiLSTMTagger': [
        ('no packing: the backward direction reads the padding', '''
class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size, num_tags, embed_dim, hidden_size, num_layers=1, dropout=0.0, pad_id=0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.drop = VariationalDropout(dropout)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, ids, lengths):
        out, _ = self.lstm(self.drop(self.embed(ids)))
        return self.head(self.drop(out))
'''),
        ('one direction only', '''
class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size, num_tags, embed_dim, hidden_size, num_layers=1, dropout=0.0, pad_id=0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.drop = VariationalDropout(dropout)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(hidden_size, num_tags)

    def forward(self, ids, lengths):
        x = self.drop(self.embed(ids))
        out, _ = run_packed(self.lstm, x, lengths)
        return self.head(self.drop(out))
'''),
        ('dropout between layers not passed to nn.LSTM', '''
class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size, num_tags, embed_dim, hidden_size, num_layers=1, dropout=0.0, pad_id=0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.drop = VariationalDropout(dropout)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, ids, lengths):
        x = self.drop(self.embed(ids))
        out, _ = run_packed(self.lstm, x, lengths)
        return self.head(self.drop(out))
'''),
        ('padding_idx not set on the embedding', '''
class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size, num_tags, embed_dim, hidden_size, num_layers=1, dropout=0.0, pad_id=0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.drop = VariationalDropout(dropout)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, ids, lengths):
        x = self.drop(self.embed(ids))
        out, _ = run_packed(self.lstm, x, lengths)
        return self.head(self.drop(out))
'''),
        ('head applied to the final states: one prediction per sentence', '''
class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size, num_tags, embed_dim, hidden_size, num_layers=1, dropout=0.0, pad_id=0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.drop = VariationalDropout(dropout)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, ids, lengths):
        _, (h_n, _) = run_packed(self.lstm, self.drop(self.embed(ids)), lengths)
        return self.head(torch.cat([h_n[-2], h_n[-1]], dim=-1))
'''),
        ('num_layers ignored', '''
class BiLSTMTagger(nn.Module):
    def __init__(self, vocab_size, num_tags, embed_dim, hidden_size, num_layers=1, dropout=0.0, pad_id=0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        self.drop = VariationalDropout(dropout)
        self.lstm = nn.LSTM(embed_dim, hidden_size, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden_size, num_tags)

    def forward(self, ids, lengths):
        x = self.drop(self.embed(ids))
        out, _ = run_packed(self.lstm, x, lengths)
        return self.head(self.drop(out))
'''),
    ],
}
