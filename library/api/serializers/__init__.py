"""The API's serializers, one module per feature; callers import from here."""

from .catalogue import (  # noqa: F401
    AuthorSerializer,
    AuthorSummarySerializer,
    AvailableBookSerializer,
    AvailableByGenreQuerySerializer,
    BookSerializer,
    GenreAvailabilitySerializer,
)
from .circulation import BorrowCreateSerializer, BorrowSerializer  # noqa: F401
from .stats import (  # noqa: F401
    BookBorrowCountSerializer,
    BorrowerCountSerializer,
    StatsQuerySerializer,
    StatsSerializer,
)
