"""Outline: a module's text as definitions and statements, and the diff of two outlines. Pure."""
