"""Stage 3, the rules: rule files loaded and checked, their conditions compiled, their templates filled."""
