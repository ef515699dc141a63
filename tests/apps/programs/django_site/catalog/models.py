"""The catalogue's model (never saved: the views build instances in memory)."""

from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=40)
    cents = models.IntegerField()

    class Meta:
        app_label = "catalog"

    def label(self):
        return self.name.title()
