"""Class-based views of the catalogue."""

from django.conf import settings
from django.http import JsonResponse
from django.views import View
from django.views.generic import TemplateView

from catalog.constants import CURRENCY
from catalog.models import Product

PRODUCTS = [Product(id=1, name="coffee", cents=350), Product(id=2, name="green tea", cents=220)]
PRODUCTS.append(Product(id=3, name="orange juice", cents=400))


def as_dict(product):
    return {
        "id": product.id,
        "label": product.label(),
        "price": f"{product.cents / 100:.2f} {CURRENCY}",
    }


class ProductList(View):
    ordering = "name"

    def get(self, request):
        products = sorted(PRODUCTS, key=lambda product: getattr(product, self.ordering))
        shown = products[: settings.PAGE_SIZE]
        return JsonResponse({"shop": settings.SHOP_NAME, "products": [as_dict(p) for p in shown]})


class ProductDetail(View):
    def get(self, request, pk):
        for product in PRODUCTS:
            if product.id == pk:
                return JsonResponse(as_dict(product))
        return JsonResponse({"error": "no such product"}, status=404)


class AboutPage(TemplateView):
    template_name = "catalog/about.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["shop"] = settings.SHOP_NAME
        return context
