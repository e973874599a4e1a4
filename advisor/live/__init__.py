"""Advice during training: the Monitor and the framework callbacks that feed it."""
