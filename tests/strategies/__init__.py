"""Hypothesis strategies, one module per grammar family: each renders a model as the real tool prints it."""
