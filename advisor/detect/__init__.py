"""Symptoms found in a training run: detectors fed one logged step at a time (by log readers or the Monitor)."""
