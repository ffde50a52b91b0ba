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
