"""Gradients: clipping by global norm (clipping) and measured gradient flow through time (flow)."""
