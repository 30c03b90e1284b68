"""Running replicates: the run loop, executors, and the results folder."""
