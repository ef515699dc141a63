"""Plan: what a patch will do, decided without touching live state (from a diff, or from the live objects)."""
