"""Borrowing and returning: the circulation endpoints under /borrow/."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from backoffice.core.api import JsonApiMixin
from backoffice.core.inputs import parse_id
from backoffice.core.serializers import refuse_body
from backoffice.core.throttling import FixedWindowThrottle
from library import selectors, services
from library.api.filters import BorrowFilter
from library.api.permissions import CanBorrow
from library.api.serializers import (
    BorrowCreateSerializer,
    BorrowSerializer,
)


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
    raises = {
        "create": [
            services.LendingNotAllowed,
            services.BorrowerNotAllowed,
            services.UserNotFound,
            services.BookNotFound,
            services.NoCopiesAvailable,
            services.AlreadyBorrowed,
            services.LoanLimitReached,
            services.PatronBlocked,
        ],
        "return_book": [services.BorrowNotFound, services.AlreadyReturned],
        "renew": [
            services.BorrowNotFound,
            services.AlreadyReturned,
            services.RenewalLimitReached,
            services.WantedByHold,
            services.PatronBlocked,
        ],
    }

    def get_queryset(self):
        return selectors.borrow_list(user=self.request.user)

    def get_throttles(self):
        if self.action == "create":
            return [BorrowRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        request=BorrowCreateSerializer,
        responses={201: BorrowSerializer},
        operation_id="create_borrow",
        summary="Borrow a book (librarians: lend it to a patron)",
    )
    def create(self, request):
        payload = BorrowCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        borrow = services.borrow_create_as(
            actor=request.user,
            book_id=payload.validated_data["book"],
            user_id=payload.validated_data.get("user"),
        )
        return Response(BorrowSerializer(borrow).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: BorrowSerializer},
        operation_id="return_borrow",
        summary="Return a loan",
    )
    @action(detail=True, methods=["put"], url_path="return", filter_backends=[])
    def return_book(self, request, pk=None):
        refuse_body(request)
        borrow = services.borrow_return(borrow_id=_borrow_id(pk), actor=request.user)
        return Response(BorrowSerializer(borrow).data)

    @extend_schema(
        request=None,
        responses={200: BorrowSerializer},
        operation_id="renew_borrow",
        summary="Renew a loan: one more loan period from its due date (or from now)",
    )
    @action(detail=True, methods=["put"], url_path="renew", filter_backends=[])
    def renew(self, request, pk=None):
        refuse_body(request)
        borrow = services.borrow_renew(borrow_id=_borrow_id(pk), actor=request.user)
        return Response(BorrowSerializer(borrow).data)


def _borrow_id(raw) -> int:
    borrow_id = parse_id(raw)
    if borrow_id is None:
        raise services.BorrowNotFound()
    return borrow_id
