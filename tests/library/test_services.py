import pytest

from library import services
from library.models import Borrow

from ..factories import AuditorFactory, BookFactory, LibrarianFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "make_borrower",
    [AuditorFactory, lambda: UserFactory(is_active=False)],
    ids=["auditor", "inactive"],
)
def test_only_patrons_and_librarians_can_be_lent_a_book(make_borrower):
    book = BookFactory(total_copies=1)
    borrower = make_borrower()

    with pytest.raises(services.BorrowerNotAllowed) as refusal:
        services.borrow_create_for_patron(user=borrower, book_id=book.pk, actor=LibrarianFactory())

    assert refusal.value.status_code == 403
    assert f"{borrower.username} may not borrow books." == refusal.value.detail
    book.refresh_from_db()
    assert book.available_copies == 1
    assert not Borrow.objects.exists()


def _open_loan():
    book = BookFactory(total_copies=1)
    loan = services.borrow_create(user=UserFactory(), book_id=book.pk)
    return loan, book


@pytest.mark.parametrize(
    "make_actor",
    [
        LibrarianFactory,
        lambda: _staff_with("change_borrow"),
    ],
    ids=["librarian", "staff allowed to change loans"],
)
def test_librarians_and_loan_clerks_return_anyones_loan(make_actor):
    loan, book = _open_loan()
    actor = make_actor()

    returned = services.borrow_return(borrow_id=loan.pk, actor=actor)

    assert returned.return_date is not None
    book.refresh_from_db()
    assert book.available_copies == 1
    assert returned.history.first().history_user == actor


@pytest.mark.parametrize(
    "make_actor",
    [UserFactory, AuditorFactory, lambda: _staff_with("view_borrow")],
    ids=["another patron", "auditor", "staff who may only view loans"],
)
def test_others_cannot_return_someone_elses_loan(make_actor):
    loan, book = _open_loan()

    with pytest.raises(services.BorrowNotFound):
        services.borrow_return(borrow_id=loan.pk, actor=make_actor())

    loan.refresh_from_db()
    book.refresh_from_db()
    assert loan.return_date is None and book.available_copies == 0


def _staff_with(codename: str):
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename=codename))
    return type(staff).objects.get(pk=staff.pk)
