"""Text helpers."""


def slugify(name):
    return name.strip().replace(" ", "-")
