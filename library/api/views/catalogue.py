"""Authors and books: the catalogue, read by anyone, written by librarians."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from backoffice.core.api import JsonApiMixin
from backoffice.core.counted_pages import CountedPagePaginator
from backoffice.core.filters import FilterBackend, StrictOrderingFilter
from library import selectors, services
from library.api.filters import BookFilter, BookSearchFilter
from library.api.permissions import CatalogueReadOrLibrarianWrite
from library.api.serializers import (
    AuthorSerializer,
    AvailableByGenreQuerySerializer,
    BookSerializer,
    GenreAvailabilitySerializer,
)


class AuthorViewSet(JsonApiMixin, viewsets.ModelViewSet):
    serializer_class = AuthorSerializer
    permission_classes = [CatalogueReadOrLibrarianWrite]
    search_fields = ["name", "nationality"]
    ordering_fields = ["name", "birthdate", "book_count", "id"]
    filterset_fields = ["nationality"]
    raises = {"destroy": [services.ProtectedFromDeletion]}

    def get_queryset(self):
        return selectors.author_list()

    def perform_create(self, serializer):
        serializer.instance = services.author_create(
            actor=self.request.user, **serializer.validated_data
        )
        serializer.instance.book_count = 0

    def perform_update(self, serializer):
        services.author_update(
            author=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.author_delete(author=instance, actor=self.request.user)


class BookSearchPaginator(CountedPagePaginator):
    def rows_with_keys(self, keys):
        # The keys were found through the list's filters; the rows are read by key
        # alone, from a statement compiled once, with no filter to rebuild.
        return selectors.books_with_keys(keys)


class BookViewSet(JsonApiMixin, viewsets.ModelViewSet):
    serializer_class = BookSerializer
    permission_classes = [CatalogueReadOrLibrarianWrite]
    filterset_class = BookFilter
    filter_backends = [FilterBackend, BookSearchFilter, StrictOrderingFilter]
    search_fields = ["title", "isbn", "author__name"]
    ordering_fields = [
        "title",
        "publication_date",
        "genre",
        "author__name",
        "total_copies",
        "available_copies",
        "id",
    ]
    raises = {"destroy": [services.ProtectedFromDeletion]}

    def get_queryset(self):
        return selectors.book_list()

    def paginate_queryset(self, queryset):
        if BookSearchFilter().get_search_terms(self.request):
            # A search's matches are counted and paged in one statement (they are
            # usually few; ``backoffice.core.counted_pages``).
            self.paginator.django_paginator_class = BookSearchPaginator
        return super().paginate_queryset(queryset)

    def perform_create(self, serializer):
        book = services.book_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = selectors.book_list().get(pk=book.pk)

    def perform_update(self, serializer):
        services.book_update(
            book_id=serializer.instance.pk, actor=self.request.user, **serializer.validated_data
        )
        serializer.instance = selectors.book_list().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.book_delete(book=instance, actor=self.request.user)

    @extend_schema(
        parameters=[AvailableByGenreQuerySerializer],
        responses=GenreAvailabilitySerializer(many=True),
        operation_id="list_available_books_by_genre",
        summary="Books with copies on the shelf, grouped by genre",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="available-by-genre",
        permission_classes=[AllowAny],
        filter_backends=[],
        pagination_class=None,
    )
    def available_by_genre(self, request):
        query = AvailableByGenreQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        genres = selectors.books_available_by_genre(
            genre=query.validated_data.get("genre"),
            books_per_genre=query.validated_data["limit"],
        )
        return Response(GenreAvailabilitySerializer(genres, many=True).data)
