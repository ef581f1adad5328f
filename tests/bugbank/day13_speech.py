"""Wrong answers for Day 13 (speech: the mel filterbank, log-mel features, a convolution's output length, CTC greedy
decoding, the CTC alpha recursion and loss, edit distance, WER and CER)."""
from __future__ import annotations

from bugbank import Bank

BUGS: Bank = {
    'mel_filterbank': [
        ('edges equally spaced in Hz instead of mel', [
            ('    mels = torch.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2, dtype=torch.float64)\n'
             '    edges = mel_to_hz(mels)',
             '    edges = torch.linspace(f_min, f_max, n_mels + 2, dtype=torch.float64)'),
        ]),
        ('n_mels edges instead of n_mels + 2 (one per filter)', [
            ('hz_to_mel(f_max), n_mels + 2,', 'hz_to_mel(f_max), n_mels,'),
        ]),
        ('natural log in hz_to_mel (mel_to_hz still uses 10 ** m)', [
            ('return 2595.0 * torch.log10(1.0 + f / 700.0)', 'return 2595.0 * torch.log(1.0 + f / 700.0)'),
            ('return 2595.0 * math.log10(1.0 + f / 700.0)', 'return 2595.0 * math.log(1.0 + f / 700.0)'),
        ]),
        ("bins by torchaudio's linspace(0, sample_rate / 2): wrong for odd n_fft", [
            ('freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64) * sample_rate / n_fft',
             'freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)'),
        ]),
        ('f_max defaults to the sample rate instead of the Nyquist frequency', [
            ('f_max = sample_rate / 2 if f_max is None else f_max', 'f_max = sample_rate if f_max is None else f_max'),
        ]),
        ('no clamp at 0: negative weights outside each triangle', [
            ('return torch.clamp(torch.minimum(rising, falling), min=0.0).to(dtype)',
             'return torch.minimum(rising, falling).to(dtype)'),
        ]),
        ('computed in float32 (not float64, then dtype)', [
            ('freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float64)', 'freqs = torch.arange(n_fft // 2 + 1, dtype=torch.float32)'),
            ('n_mels + 2, dtype=torch.float64)', 'n_mels + 2, dtype=torch.float32)'),
        ]),
        ('f_min ignored (the lowest edge is always 0 Hz)', [
            ('torch.linspace(hz_to_mel(f_min),', 'torch.linspace(hz_to_mel(0.0),'),
        ]),
        ('area-normalised triangles (Slaney norm) instead of peak 1', [
            ('return torch.clamp(torch.minimum(rising, falling), min=0.0).to(dtype)',
             'return (torch.clamp(torch.minimum(rising, falling), min=0.0) * 2.0 / (right - left)).to(dtype)'),
        ]),
        ('the falling edge divided by the rising width', [
            ('falling = (right - freqs) / (right - centre)', 'falling = (right - freqs) / (centre - left)'),
        ]),
        ('dtype ignored: always float32', [
            ('return torch.clamp(torch.minimum(rising, falling), min=0.0).to(dtype)',
             'return torch.clamp(torch.minimum(rising, falling), min=0.0).float()'),
        ]),
        ('f_max default sample_rate // 2 (held-out red team)', [
            ('f_max = sample_rate / 2 if f_max is None else f_max', 'f_max = sample_rate // 2 if f_max is None else f_max'),
        ]),
        ('mel_to_hz by torch.pow: a tensor for a float (held-out red team)', [
            ('return 700.0 * (10.0 ** (m / 2595.0) - 1.0)', 'return 700.0 * (torch.pow(10.0, torch.as_tensor(m) / 2595.0) - 1.0)'),
        ]),
    ],
    'log_mel': [
        ('magnitude |X| instead of power |X|^2', [
            ('power = spec.real ** 2 + spec.imag ** 2', 'power = spec.abs()'),
        ]),
        ('no eps inside the log: silence gives -inf', [
            ('torch.log(fb @ power + eps)', 'torch.log(fb @ power)'),
        ]),
        ('log10 instead of the natural log', [
            ('torch.log(fb @ power + eps)', 'torch.log10(fb @ power + eps)'),
        ]),
        ('not transposed: (n_mels, frames)', [
            ('return torch.log(fb @ power + eps).transpose(-1, -2)', 'return torch.log(fb @ power + eps)'),
        ]),
        ('transpose(0, 1): right for one wave, wrong for a batch', [
            ('.transpose(-1, -2)', '.transpose(0, 1)'),
        ]),
        ('rectangular window', [
            ('window = torch.hann_window(n_fft, periodic=True, dtype=wave.dtype, device=wave.device)',
             'window = torch.ones(n_fft, dtype=wave.dtype, device=wave.device)'),
        ]),
        ('symmetric Hann window (periodic=False)', [
            ('torch.hann_window(n_fft, periodic=True,', 'torch.hann_window(n_fft, periodic=False,'),
        ]),
        ('center=False: fewer frames', [
            ('center=True, pad_mode="reflect"', 'center=False'),
        ]),
        ('f_min and f_max not passed to the filterbank', [
            ('mel_filterbank(n_mels, n_fft, sample_rate, f_min, f_max, dtype=wave.dtype)',
             'mel_filterbank(n_mels, n_fft, sample_rate, dtype=wave.dtype)'),
        ]),
        ("the filterbank always float32 (a float64 wave fails)", [
            ('mel_filterbank(n_mels, n_fft, sample_rate, f_min, f_max, dtype=wave.dtype)',
             'mel_filterbank(n_mels, n_fft, sample_rate, f_min, f_max)'),
        ]),
        ('eps added after the log', [
            ('torch.log(fb @ power + eps)', '(torch.log(fb @ power) + eps)'),
        ]),
        ('normalized=True in torch.stft', [
            ('pad_mode="reflect",\n', 'pad_mode="reflect", normalized=True,\n'),
        ]),
        ('frames first before the filterbank, which is not transposed', [
            ('torch.log(fb @ power + eps).transpose(-1, -2)', 'torch.log(power.transpose(-1, -2) @ fb + eps)'),
        ]),
        ('a batch of one squeezed away (held-out red team)', [
            ('    window = torch.hann_window(', '    wave = wave.reshape(-1, wave.shape[-1])\n    window = torch.hann_window('),
            ('.transpose(-1, -2)                                 # (..., frames, n_mels)', '.transpose(-1, -2).squeeze(0)'),
        ]),
        ('the window always float32 (held-out red team)', [
            ('torch.hann_window(n_fft, periodic=True, dtype=wave.dtype, device=wave.device)',
             'torch.hann_window(n_fft, periodic=True, device=wave.device)'),
        ]),
    ],
    'conv_output_length': [
        ('true division: a float instead of an int', [
            ('// stride + 1', '/ stride + 1'),
        ]),
        ('padding added on one side only', [
            ('lengths + 2 * padding', 'lengths + padding'),
        ]),
        ('dilation ignored', [
            ('- dilation * (kernel_size - 1) - 1) // stride', '- (kernel_size - 1) - 1) // stride'),
        ]),
        ('kernel_size instead of kernel_size - 1', [
            ('- dilation * (kernel_size - 1) - 1) // stride', '- dilation * kernel_size - 1) // stride'),
        ]),
        ('the + 1 forgotten', [
            ('// stride + 1', '// stride'),
        ]),
        ('the - 1 and the + 1 both forgotten', [
            ('- dilation * (kernel_size - 1) - 1) // stride + 1', '- dilation * (kernel_size - 1)) // stride'),
        ]),
        ('true division, then floor and long: float32 is inexact beyond 2**24 (held-out red team)', '''
def conv_output_length(lengths, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1):
    out = (lengths + 2 * padding - dilation * (kernel_size - 1) - 1) / stride
    if isinstance(out, float):
        return int(out) + 1
    return out.floor().long() + 1
'''),
        ('dummy torch.stft frames counted (banned here; held-out red team)', '''
def conv_output_length(lengths, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1):
    span = dilation * (kernel_size - 1) + 1
    count = lambda n: torch.stft(torch.zeros(int(n) + 2 * padding), span, stride, window=torch.ones(span),
                                 center=False, return_complex=True).shape[-1]
    if isinstance(lengths, int):
        return count(lengths)
    return torch.tensor([count(n) for n in lengths.flatten()], dtype=torch.long).reshape(lengths.shape)
'''),
        ('unfold on a padded dummy tensor, counting the windows (banned)', '''
def conv_output_length(lengths, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1):
    span = dilation * (kernel_size - 1) + 1
    count = lambda n: torch.zeros(int(n) + 2 * padding).unfold(0, span, stride).shape[0]
    if isinstance(lengths, int):
        return count(lengths)
    return torch.tensor([count(n) for n in lengths.flatten()], dtype=torch.long).reshape(lengths.shape)
'''),
        ('ceil instead of floor', [
            ('return (lengths + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1',
             'return -(-(lengths + 2 * padding - dilation * (kernel_size - 1) - 1) // stride) + 1'),
        ]),
        ('in place: a tensor of lengths is modified', '''
def conv_output_length(lengths, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1):
    lengths += 2 * padding - dilation * (kernel_size - 1) - 1
    lengths //= stride
    lengths += 1
    return lengths
'''),
        ('math.floor of a true division (fails on tensors)', '''
def conv_output_length(lengths, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1):
    return math.floor((lengths + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1
'''),
        ('a tensor answered with floats (torch.floor of a true division)', '''
def conv_output_length(lengths, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1):
    out = (lengths + 2 * padding - dilation * (kernel_size - 1) - 1) / stride
    return math.floor(out) + 1 if isinstance(out, float) else torch.floor(out) + 1
'''),
        ('runs nn.Conv1d on zeros and reads the length (banned)', '''
def conv_output_length(lengths, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1):
    conv = nn.Conv1d(1, 1, kernel_size, stride=stride, padding=padding, dilation=dilation)
    if isinstance(lengths, int):
        return conv(torch.zeros(1, 1, lengths)).shape[-1]
    return torch.tensor([conv(torch.zeros(1, 1, int(n))).shape[-1] for n in lengths.flatten()]).reshape(lengths.shape)
'''),
    ],
    'ctc_greedy': [
        ('blanks dropped before merging repeats ("a _ a" -> "a")', [
            ('        tokens, previous = [], None\n',
             '        path = [k for k in path if k != blank]\n        tokens, previous = [], None\n'),
        ]),
        ('the previous class updated only when a symbol is kept (a blank does not separate repeats)', [
            ('                tokens.append(k)\n            previous = k', '                tokens.append(k)\n                previous = k'),
        ]),
        ('lengths ignored: padding frames decoded', [
            ('best[: int(lengths[n]), n]', 'best[:, n]'),
        ]),
        ('one frame too few (lengths[n] - 1)', [
            ('best[: int(lengths[n]), n]', 'best[: int(lengths[n]) - 1, n]'),
        ]),
        ('blank hard-coded as 0', [
            ('if k != previous and k != blank:', 'if k != previous and k != 0:'),
        ]),
        ('0-dim tensors instead of Python ints', [
            ('best[: int(lengths[n]), n].tolist()', 'list(best[: int(lengths[n]), n])'),
        ]),
        ('the previous class carried over from one utterance to the next', [
            ('    decoded = []\n', '    decoded = []\n    previous = None\n'),
            ('        tokens, previous = [], None\n', '        tokens = []\n'),
        ]),
        ('log_probs read as (N, T, C)', [
            ('best = log_probs.argmax(dim=-1)                                   # (T, N)',
             'best = log_probs.argmax(dim=-1).T'),
        ]),
        ('repeats never merged (only blanks dropped)', [
            ('if k != previous and k != blank:', 'if k != blank:'),
        ]),
    ],
    'ctc_alpha': [
        ('the skip allowed between repeated symbols', [
            ('skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])', 'skip[2:] = ext[2:] != blank'),
        ]),
        ('torch.logsumexp: NaN gradients from unreachable states', [
            ('alpha.append(logsumexp_safe(torch.stack([prev, from_one, from_two]), dim=0)',
             'alpha.append(torch.logsumexp(torch.stack([prev, from_one, from_two]), dim=0)'),
        ]),
        ('frame 0 may start in any state', [
            ('alpha = [torch.cat([log_probs[0, ext[:2]], minus_inf[2:]])]', 'alpha = [log_probs[0, ext]]'),
        ]),
        ('frame 0 starts only in the blank', [
            ('alpha = [torch.cat([log_probs[0, ext[:2]], minus_inf[2:]])]',
             'alpha = [torch.cat([log_probs[0, ext[:1]], minus_inf[1:]])]'),
        ]),
        ("the frame's log-probability not added", [
            ('dim=0) + log_probs[t, ext])', 'dim=0))'),
        ]),
        ('log-probabilities added instead of logsumexp (a product of probabilities)', [
            ('logsumexp_safe(torch.stack([prev, from_one, from_two]), dim=0)', '(prev + from_one + from_two)'),
        ]),
        ('blank hard-coded as 0', [
            ('ext = torch.full((S,), blank,', 'ext = torch.full((S,), 0,'),
            ('(ext[2:] != blank)', '(ext[2:] != 0)'),
        ]),
        ('computed in float32', [
            ('    S = 2 * target.shape[0] + 1\n', '    log_probs = log_probs.float()\n    S = 2 * target.shape[0] + 1\n'),
        ]),
        ('no skip at all (every blank visited)', [
            ('from_two = torch.where(skip, torch.cat([minus_inf[:2], prev[:-2]]), minus_inf)', 'from_two = minus_inf'),
        ]),
        ('symbols at the even states (extended target shifted)', [
            ('ext[1::2] = target', 'ext[0:-1:2] = target'),
        ]),
        ('probabilities, not logs: the recursion in probability space, the log taken at the end (underflows)', [
            ('    minus_inf = log_probs.new_full((S,), -math.inf)\n',
             '    minus_inf = log_probs.new_full((S,), 0.0)\n    probs = log_probs.exp()\n'),
            ('    alpha = [torch.cat([log_probs[0, ext[:2]], minus_inf[2:]])]',
             '    alpha = [torch.cat([probs[0, ext[:2]], minus_inf[2:]])]'),
            ('        alpha.append(logsumexp_safe(torch.stack([prev, from_one, from_two]), dim=0) + log_probs[t, ext])\n',
             '        alpha.append((prev + from_one + from_two) * probs[t, ext])\n'),
            ('    return torch.stack(alpha)', '    return torch.stack(alpha).log()'),
        ]),
        ('a Python loop over the states (right values, but slow: the text asks for one operation per frame)', '''
def ctc_alpha(log_probs, target, blank=0):
    ext = [blank]
    for k in target.tolist():
        ext += [k, blank]
    rows, prev = [], None
    for t in range(log_probs.shape[0]):
        row = []
        for s in range(len(ext)):
            if t == 0:
                v = log_probs[0, ext[s]] if s < 2 else log_probs.new_tensor(-math.inf)
            else:
                terms = [prev[s]] + ([prev[s - 1]] if s >= 1 else [])
                if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                    terms.append(prev[s - 2])
                v = logsumexp_safe(torch.stack(terms), dim=0) + log_probs[t, ext[s]]
            row.append(v)
        prev = torch.stack(row)
        rows.append(prev)
    return torch.stack(rows)
'''),
    ],
    'ctc_nll': [
        ('input_lengths ignored: padding frames used', [
            ('ctc_alpha(log_probs[:T_n, n],', 'ctc_alpha(log_probs[:, n],'),
        ]),
        ('only the final blank may end a path', [
            ('-logsumexp_safe(alpha[-1, -2:], dim=0)', '-alpha[-1, -1]'),
        ]),
        ("'mean' as total loss over total target length", [
            ('return (loss / target_lengths.to(loss.dtype).clamp(min=1)).mean()',
             'return loss.sum() / target_lengths.sum().clamp(min=1)'),
        ]),
        ("'mean' without dividing by the target lengths", [
            ('return (loss / target_lengths.to(loss.dtype).clamp(min=1)).mean()', 'return loss.mean()'),
        ]),
        ('zero_infinity ignored', [
            ('    if zero_infinity:\n        loss = torch.where(torch.isinf(loss), torch.zeros_like(loss), loss)\n', ''),
        ]),
        ('torch.logsumexp at the end: NaN gradient for an infeasible target with zero_infinity', [
            ('-logsumexp_safe(alpha[-1, -2:], dim=0)', '-torch.logsumexp(alpha[-1, -2:], dim=0)'),
        ]),
        ("'mean' without clamping: a target of length 0 divides by 0", [
            ('target_lengths.to(loss.dtype).clamp(min=1)', 'target_lengths.to(loss.dtype)'),
        ]),
        ('the padded target row used whole', [
            ('targets[n, :L_n]', 'targets[n]'),
        ]),
        ("'mean' divides by the input lengths", [
            ('target_lengths.to(loss.dtype).clamp(min=1)', 'input_lengths.to(loss.dtype).clamp(min=1)'),
        ]),
        ('the losses in float32 whatever the input (held-out red team)', [
            ('    loss = torch.stack(losses)', '    loss = torch.stack(losses).float()'),
        ]),
        ("'sum' and 'mean' swapped", [
            ('    if reduction == "sum":\n        return loss.sum()\n    return (loss / target_lengths.to(loss.dtype).clamp(min=1)).mean()',
             '    if reduction == "mean":\n        return loss.sum()\n    return (loss / target_lengths.to(loss.dtype).clamp(min=1)).mean()'),
        ]),
        ('calls F.ctc_loss (banned)', '''
def ctc_nll(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=blank, reduction=reduction,
                      zero_infinity=zero_infinity)
'''),
        ('zero_infinity applied after the reduction', [
            ('    if zero_infinity:\n        loss = torch.where(torch.isinf(loss), torch.zeros_like(loss), loss)\n', ''),
            ('    if reduction == "none":\n        return loss\n',
             '    if zero_infinity:\n        return torch.where(torch.isinf(loss.sum()), loss.sum() * 0, loss.sum())\n'
             '    if reduction == "none":\n        return loss\n'),
        ]),
    ],
    'edit_distance': [
        ('a substitution costs 2', [
            ('previous[j - 1] + (r != h)', 'previous[j - 1] + 2 * (r != h)'),
        ]),
        ('first row of zeros', [
            ('previous = list(range(len(hypothesis) + 1))', 'previous = [0] * (len(hypothesis) + 1)'),
        ]),
        ('first column of zeros', [
            ('current = [i]', 'current = [0]'),
        ]),
        ('no deletion step', [
            ('min(previous[j] + 1, current[j - 1] + 1,', 'min(current[j - 1] + 1,'),
        ]),
        ('position-by-position mismatches plus the length difference', '''
def edit_distance(reference, hypothesis) -> int:
    return sum(r != h for r, h in zip(reference, hypothesis)) + abs(len(reference) - len(hypothesis))
'''),
        ('adjacent transpositions cost 1 (Damerau, not Levenshtein)', '''
def edit_distance(reference, hypothesis) -> int:
    n, m = len(reference), len(hypothesis)
    d = [[max(i, j) if min(i, j) == 0 else 0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]))
            if i > 1 and j > 1 and reference[i - 1] == hypothesis[j - 2] and reference[i - 2] == hypothesis[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[n][m]
'''),
        ('a NumPy table: returns a float', '''
def edit_distance(reference, hypothesis) -> int:
    d = np.zeros((len(reference) + 1, len(hypothesis) + 1))
    d[:, 0] = np.arange(len(reference) + 1)
    d[0, :] = np.arange(len(hypothesis) + 1)
    for i in range(1, len(reference) + 1):
        for j in range(1, len(hypothesis) + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (reference[i - 1] != hypothesis[j - 1]))
    return d[-1, -1]
'''),
        ("calls rapidfuzz's Levenshtein (banned)", '''
def edit_distance(reference, hypothesis) -> int:
    from rapidfuzz.distance import Levenshtein
    return Levenshtein.distance(reference, hypothesis)
'''),
        ("calls nltk's edit_distance (banned)", '''
def edit_distance(reference, hypothesis) -> int:
    import importlib
    return importlib.import_module("nltk.metrics.distance").edit_distance(list(reference), list(hypothesis))
'''),
        ('returns a rate (divided by the reference length)', [
            ('    return previous[-1]', '    return previous[-1] / max(len(reference), 1)'),
        ]),
        ('a NumPy uint8 table: overflows beyond 255 (held-out red team)', '''
def edit_distance(reference, hypothesis) -> int:
    d = np.zeros((len(reference) + 1, len(hypothesis) + 1), dtype=np.uint8)
    d[:, 0] = np.arange(len(reference) + 1)
    d[0, :] = np.arange(len(hypothesis) + 1)
    for i in range(1, len(reference) + 1):
        for j in range(1, len(hypothesis) + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (reference[i - 1] != hypothesis[j - 1]))
    return int(d[-1, -1])
'''),
        ('the longest common subsequence: insertions and deletions only', '''
def edit_distance(reference, hypothesis) -> int:
    n, m = len(reference), len(hypothesis)
    lcs = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n):
        for j in range(m):
            lcs[i + 1][j + 1] = lcs[i][j] + 1 if reference[i] == hypothesis[j] else max(lcs[i][j + 1], lcs[i + 1][j])
    return n + m - 2 * lcs[n][m]
'''),
    ],
    'wer': [
        ('the mean of the sentence WERs', [
            ('    edits = sum(edit_distance(r.split(), h.split()) for r, h in zip(references, hypotheses))\n'
             '    return edits / words',
             '    rates = [edit_distance(r.split(), h.split()) / max(len(r.split()), 1) for r, h in zip(references, hypotheses)]\n'
             '    return sum(rates) / len(rates)'),
        ]),
        ('divided by the hypothesis words', [
            ('    return edits / words', '    return edits / max(sum(len(h.split()) for h in hypotheses), 1)'),
        ]),
        ('characters compared instead of words', [
            ('edit_distance(r.split(), h.split())', 'edit_distance(r, h)'),
        ]),
        ("split(' '): double spaces make empty words", [
            ('words = sum(len(r.split()) for r in references)', 'words = sum(len(r.split(" ")) for r in references)'),
            ('edit_distance(r.split(), h.split())', 'edit_distance(r.split(" "), h.split(" "))'),
        ]),
        ('lower-cased: case does not count', [
            ('edit_distance(r.split(), h.split())', 'edit_distance(r.lower().split(), h.lower().split())'),
        ]),
        ('no length check: zip drops the extra sentences', [
            ('    if len(references) != len(hypotheses):\n', '    if False:\n'),
        ]),
        ('the length check only when there are more references than hypotheses', [
            ('    if len(references) != len(hypotheses):\n', '    if len(references) > len(hypotheses):\n'),
        ]),
        ('no reference word: ZeroDivisionError instead of ValueError', [
            ('    if words == 0:\n', '    if False:\n'),
        ]),
        ('calls jiwer.wer (banned)', '''
def wer(references: list[str], hypotheses: list[str]) -> float:
    import jiwer
    if len(references) != len(hypotheses) or not sum(len(r.split()) for r in references):
        raise ValueError("bad input")
    return float(jiwer.wer(references, hypotheses))
'''),
        ('an empty hypothesis counted as one empty word', [
            ('edit_distance(r.split(), h.split())', 'edit_distance(r.split(), h.split() or [""])'),
        ]),
        ('punctuation stripped before splitting (held-out red team)', [
            ('edit_distance(r.split(), h.split())',
             'edit_distance(r.replace(",", "").replace(".", "").split(), h.replace(",", "").replace(".", "").split())'),
        ]),
    ],
    'cer': [
        ('spaces removed before comparing', [
            ('refs, hyps = [r.strip() for r in references], [h.strip() for h in hypotheses]',
             'refs, hyps = [r.replace(" ", "") for r in references], [h.replace(" ", "") for h in hypotheses]'),
        ]),
        ('ends not stripped', [
            ('refs, hyps = [r.strip() for r in references], [h.strip() for h in hypotheses]',
             'refs, hyps = list(references), list(hypotheses)'),
        ]),
        ('the mean of the sentence CERs', [
            ('    return sum(edit_distance(r, h) for r, h in zip(refs, hyps)) / chars',
             '    return sum(edit_distance(r, h) / max(len(r), 1) for r, h in zip(refs, hyps)) / len(refs)'),
        ]),
        ('lower-cased: case does not count', [
            ('refs, hyps = [r.strip() for r in references], [h.strip() for h in hypotheses]',
             'refs, hyps = [r.strip().lower() for r in references], [h.strip().lower() for h in hypotheses]'),
        ]),
        ('words instead of characters', [
            ('    return sum(edit_distance(r, h) for r, h in zip(refs, hyps)) / chars',
             '    return sum(edit_distance(r.split(), h.split()) for r, h in zip(refs, hyps)) / sum(len(r.split()) for r in refs)'),
        ]),
        ('divided by the hypothesis characters', [
            ('    return sum(edit_distance(r, h) for r, h in zip(refs, hyps)) / chars',
             '    return sum(edit_distance(r, h) for r, h in zip(refs, hyps)) / max(sum(len(h) for h in hyps), 1)'),
        ]),
        ('calls jiwer.cer (banned)', '''
def cer(references: list[str], hypotheses: list[str]) -> float:
    import jiwer
    if len(references) != len(hypotheses) or not sum(len(r.strip()) for r in references):
        raise ValueError("bad input")
    return float(jiwer.cer(references, hypotheses))
'''),
        ('no length check: zip drops the extra strings', [
            ('    if len(references) != len(hypotheses):\n', '    if False:\n'),
        ]),
        ('ValueError when any reference is empty (held-out red team)', [
            ('    refs, hyps = [r.strip() for r in references], [h.strip() for h in hypotheses]\n',
             '    if any(not r.strip() for r in references):\n        raise ValueError("an empty reference")\n'
             '    refs, hyps = [r.strip() for r in references], [h.strip() for h in hypotheses]\n'),
        ]),
    ],
}
