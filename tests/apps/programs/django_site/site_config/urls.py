"""The site's URLs."""

from catalog import views
from django.urls import path

urlpatterns = [
    path("products/", views.ProductList.as_view()),
    path("products/<int:pk>/", views.ProductDetail.as_view()),
    path("about/", views.AboutPage.as_view()),
]
