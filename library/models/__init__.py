"""The library's data, one module per feature, all under the ``library`` app label."""

from .blocks import PatronBlock, PatronBlockQuerySet  # noqa: F401
from .catalogue import BOOK_EDITABLE_FIELDS, MAX_COPIES, Author, Book  # noqa: F401
from .circulation import Borrow, BorrowQuerySet, overdue_condition  # noqa: F401
from .holds import CLOSED_STATUSES, OPEN_STATUSES, Hold, HoldQuerySet, HoldStatus  # noqa: F401
from .notices import (  # noqa: F401
    HOLD_KINDS,
    LOAN_KINDS,
    Notice,
    NoticeKind,
    NoticeQuerySet,
    NoticeStatus,
    PatronPreferences,
)
from .privacy import (  # noqa: F401
    ANONYMISED_PATRON_USERNAME,
    MAX_RETENTION_DAYS,
    ReadingHistory,
    ReadingHistoryChoice,
)
