"""Values the catalogue shares."""

CURRENCY = "EUR"
