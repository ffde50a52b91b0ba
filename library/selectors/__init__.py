"""Reads of the catalogue and circulation, computed in the database. One module per
question area; callers import from here."""

from .blocks import blocks_of  # noqa: F401
from .catalogue import (  # noqa: F401
    GenreAvailability,
    author_list,
    book_list,
    book_open_borrow_count,
    books_available_by_genre,
    books_with_keys,
    genres,
)
from .circulation import borrow_list  # noqa: F401
from .dashboard import DashboardFigures, dashboard_figures, scalar, single_row  # noqa: F401  # noqa: F401
from .desk import (  # noqa: F401
    LoanRow,
    PatronPanel,
    book_by_isbn,
    book_open_loans,
    days_overdue,
    patron_by_card,
    patron_by_id,
    patron_loan_history,
    patron_open_holds,
    patron_open_loans,
    patron_panel,
    patrons_search,
    with_loan_counts,
    with_overdue_loans,
)
from .holds import hold_list, position_of, queue_position, waiting_holds_count  # noqa: F401
from .notices import NoticeLine, notice_preview_context, notices_of  # noqa: F401
from .search import books_matching  # noqa: F401
from .stats import (  # noqa: F401
    BorrowStats,
    Period,
    borrow_stats,
    borrows_by_genre,
    borrows_per_day,
    most_active_borrowers,
    most_borrowed_books,
)
