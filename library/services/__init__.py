"""Writes to the catalogue and circulation: the API, the admin, the desk and the tasks call
these, never the models' save() directly. One module per feature; ``copies`` is the copy
ledger, the only code that moves a book's counters. Callers import from here.
"""

from backoffice.core.errors import DomainError, NotFound  # noqa: F401

from .blocks import (  # noqa: F401
    AlreadyBlocked,
    BlockLifted,
    BlockNotFound,
    BlockReasonRequired,
    PatronBlocked,
    block_lift,
    block_set,
)
from .catalogue import (  # noqa: F401
    BookNotFound,
    ProtectedFromDeletion,
    author_create,
    author_create_many,
    author_delete,
    author_update,
    book_copies_validate,
    book_create,
    book_create_many,
    book_delete,
    book_new_validate,
    book_update,
)
from .holds import (  # noqa: F401
    AlreadyBorrowedNoHold,
    AlreadyOnHold,
    CopiesAvailable,
    ExpiryResult,
    HoldClosed,
    HoldLimitReached,
    HoldNotFound,
    hold_cancel,
    hold_place,
    hold_place_as,
    holds_expire,
)
from .loans import (  # noqa: F401
    AlreadyBorrowed,
    AlreadyReturned,
    BorrowerNotAllowed,
    BorrowNotFound,
    LendingNotAllowed,
    LoanLimitReached,
    NoCopiesAvailable,
    RenewalLimitReached,
    UserNotFound,
    WantedByHold,
    borrow_create,
    borrow_create_as,
    borrow_create_for_patron,
    borrow_renew,
    borrow_renew_check,
    borrow_return,
    patron_for,
    patron_name,
    renewed_due_date,
)
from .notices import (  # noqa: F401
    RunResult,
    notice_resend,
    notices_hold_ready,
    notices_run,
    preferences_update,
)
