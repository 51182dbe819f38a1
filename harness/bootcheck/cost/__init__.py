"""Boot cost in guest instructions: per stage and per loader phase, the
accepted baseline, and the per-commit cost trend."""
