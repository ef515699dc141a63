"""The live objects planners read and build: code objects, wrappers, classes, definitions compiled in place."""
