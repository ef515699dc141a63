"""Baselines: the text each module runs, recorded at import or recovered from its file."""
