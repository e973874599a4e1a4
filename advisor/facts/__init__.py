"""Stage 2, facts: every setup field plus the numbers derived from it, which rules name."""
