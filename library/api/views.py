from datetime import timedelta

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.core.inputs import parse_id
from backoffice.core.parsers import JSONParser
from backoffice.core.serializers import refuse_body
from backoffice.core.throttling import FixedWindowThrottle
from library import selectors, services

from .filters import BookFilter, BorrowFilter
from .permissions import CanBorrow, CatalogueReadOrLibrarianWrite, ReadsStatistics
from .serializers import (
    AuthorSerializer,
    AvailableByGenreQuerySerializer,
    BookSerializer,
    BorrowCreateSerializer,
    BorrowSerializer,
    GenreAvailabilitySerializer,
    StatsQuerySerializer,
    StatsSerializer,
)


class JsonApiMixin:
    """JSON bodies only (DESIGN: "JSON everywhere"): a form post is a 415, and the schema
    does not advertise form encodings, where a blank field would mean null. Ids in the URL
    are matched loosely so that ``/books/0.5/`` is the API's JSON 404, not Django's HTML one,
    then read strictly: only 1..2**63-1 in ASCII digits names a record ("٣" does not).
    """

    parser_classes = [JSONParser]
    lookup_value_regex = "[^/]+"

    def get_object(self):
        if parse_id(self.kwargs[self.lookup_url_kwarg or self.lookup_field]) is None:
            raise NotFound()
        return super().get_object()


class AuthorViewSet(JsonApiMixin, viewsets.ModelViewSet):
    serializer_class = AuthorSerializer
    permission_classes = [CatalogueReadOrLibrarianWrite]
    search_fields = ["name", "nationality"]
    ordering_fields = ["name", "birthdate", "book_count", "id"]
    filterset_fields = ["nationality"]

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


class BookViewSet(JsonApiMixin, viewsets.ModelViewSet):
    serializer_class = BookSerializer
    permission_classes = [CatalogueReadOrLibrarianWrite]
    filterset_class = BookFilter
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

    def get_queryset(self):
        return selectors.book_list()

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


class BorrowRateThrottle(FixedWindowThrottle):
    scope = "borrow"
    noun = "borrow request"
    verb = "borrow"

    def get_rate(self):
        return settings.BORROW_RATE


class BorrowViewSet(
    JsonApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = BorrowSerializer
    permission_classes = [IsAuthenticated, CanBorrow]
    filterset_class = BorrowFilter
    search_fields = ["book__title", "book__author__name"]
    ordering_fields = ["borrow_date", "due_date", "return_date", "id"]

    def get_queryset(self):
        return selectors.borrow_list(user=self.request.user)

    def get_throttles(self):
        if self.action == "create":
            return [BorrowRateThrottle()]
        return super().get_throttles()

    @extend_schema(request=BorrowCreateSerializer, responses={201: BorrowSerializer})
    def create(self, request):
        payload = BorrowCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        borrow = services.borrow_create_as(
            actor=request.user,
            book_id=payload.validated_data["book"],
            user_id=payload.validated_data.get("user"),
        )
        return Response(BorrowSerializer(borrow).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: BorrowSerializer})
    @action(detail=True, methods=["put"], url_path="return", filter_backends=[])
    def return_book(self, request, pk=None):
        refuse_body(request)
        borrow_id = parse_id(pk)
        if borrow_id is None:
            raise services.BorrowNotFound()
        borrow = services.borrow_return(borrow_id=borrow_id, actor=request.user)
        return Response(BorrowSerializer(borrow).data)


_ONE_DAY = timedelta(days=1)


class StatsView(APIView):
    permission_classes = [IsAuthenticated, ReadsStatistics]

    # The query serializer documents the parameters with their real bounds (limit 1-50,
    # dates as dates), so a schema-valid request is one the view accepts.
    @extend_schema(parameters=[StatsQuerySerializer], responses=StatsSerializer)
    def get(self, request):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = selectors.Period.from_dates(
            query.validated_data.get("start"), query.validated_data.get("end")
        )
        stats = selectors.borrow_stats(period=period, limit=query.validated_data["limit"])
        return Response(
            StatsSerializer(
                {
                    "start": period.start.date(),
                    "end": (period.end - _ONE_DAY).date(),
                    "borrowed_count": stats.borrowed_count,
                    "most_borrowed_books": stats.most_borrowed_books,
                    "most_active_borrowers": stats.most_active_borrowers,
                    "average_borrow_duration_days": stats.average_borrow_duration_days,
                }
            ).data
        )
