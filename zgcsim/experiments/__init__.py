"""Experiments: design files, designs, the resumable store, the experiment runner and analysis."""
