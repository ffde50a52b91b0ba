"""The API's views, one module per feature."""

from .catalogue import AuthorViewSet, BookViewSet  # noqa: F401
from .circulation import BorrowViewSet  # noqa: F401
from .holds import HoldViewSet  # noqa: F401
from .privacy import PatronExportView, ReadingHistoryView  # noqa: F401
from .stats import StatsView  # noqa: F401
