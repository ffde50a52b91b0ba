from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import AuthorViewSet, BookViewSet, BorrowViewSet, HoldViewSet, StatsView
from .views.notices import NoticePreferencesView

router = SimpleRouter()
router.register("authors", AuthorViewSet, basename="author")
router.register("books", BookViewSet, basename="book")
router.register("borrow", BorrowViewSet, basename="borrow")
router.register("holds", HoldViewSet, basename="hold")

urlpatterns = [
    path("stats/", StatsView.as_view(), name="stats"),
    path("notices/preferences/", NoticePreferencesView.as_view(), name="notice-preferences"),
    *router.urls,
]
