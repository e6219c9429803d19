"""Running the gate over many files: which files, in which session, on which workers,
and what the exit code says."""
