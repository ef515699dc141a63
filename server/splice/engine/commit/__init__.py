"""Commit: stage a plan's steps, swap them in with one C-level call, undo all if anything raises."""
