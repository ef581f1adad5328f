"""Signal -> features: features (the HTK mel scale, a triangular mel filterbank, log-mel frames from torch.stft),
the speech front end of Day 13."""
