"""Estimators the facts use: GPU memory (and the planner that makes a run fit), class-balance arithmetic."""
