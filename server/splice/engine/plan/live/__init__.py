"""Planning with no baseline: the new text compared with the live objects, part by part."""
