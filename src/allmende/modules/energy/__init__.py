"""Energy: buildings, meters, baselines, thermal models, predictive control, demand response."""
