"""Title-level holds: POST /holds/, GET /holds/, GET /holds/{id}/, PUT /holds/{id}/cancel/."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from backoffice.core.api import JsonApiMixin
from backoffice.core.inputs import parse_id
from backoffice.core.serializers import refuse_body
from library import selectors, services
from library.api.filters import HoldFilter
from library.api.permissions import CanBorrow
from library.api.serializers.holds import HoldCreateSerializer, HoldSerializer


class HoldViewSet(
    JsonApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = HoldSerializer
    permission_classes = [IsAuthenticated, CanBorrow]
    filterset_class = HoldFilter
    search_fields = ["book__title", "book__author__name"]
    ordering_fields = ["placed_at", "expires_at", "id"]
    raises = {
        "create": [
            services.LendingNotAllowed,
            services.BorrowerNotAllowed,
            services.UserNotFound,
            services.BookNotFound,
            services.CopiesAvailable,
            services.AlreadyBorrowedNoHold,
            services.AlreadyOnHold,
            services.HoldLimitReached,
            services.PatronBlocked,
        ],
        "cancel": [services.HoldNotFound, services.HoldClosed],
    }

    def get_queryset(self):
        return selectors.hold_list(user=self.request.user)

    @extend_schema(
        request=HoldCreateSerializer,
        responses={201: HoldSerializer},
        operation_id="place_hold",
        summary="Place a hold on a title none of whose copies is on the shelf",
    )
    def create(self, request):
        payload = HoldCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        hold = services.hold_place_as(
            actor=request.user,
            book_id=payload.validated_data["book"],
            user_id=payload.validated_data.get("user"),
        )
        return Response(HoldSerializer(hold).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: HoldSerializer},
        operation_id="cancel_hold",
        summary="Cancel a hold",
    )
    @action(detail=True, methods=["put"], url_path="cancel", filter_backends=[])
    def cancel(self, request, pk=None):
        refuse_body(request)
        hold_id = parse_id(pk)
        if hold_id is None:
            raise services.HoldNotFound()
        hold = services.hold_cancel(hold_id=hold_id, actor=request.user)
        return Response(HoldSerializer(hold).data)
