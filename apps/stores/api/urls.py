from rest_framework.routers import SimpleRouter

from apps.stores.api import views

router = SimpleRouter()
router.register("stores", views.StoreViewSet, basename="api-store")

urlpatterns = router.urls
