"""Reader privacy for what notices and blocks keep about a patron.

A notice's mail names the patron and the books (its subject, body and address live in
django-post-office's Email rows, outside the library app), and a block's reason may name
the patron. Anonymising loans takes their notices with them; erasing a patron removes the
mail sent to them and blanks their blocks' reasons. Constant queries per call.
"""

from django.db.models import Q
from post_office.models import Email

from library.models import Notice, PatronBlock, PatronPreferences

# What a block of an erased patron says instead of its reason (a block always has one).
ERASED_REASON = "(removed when the patron was anonymised)"


def notices_anonymise(*, loan_ids: list[int], hold_ids, anonymous_id: int) -> None:
    """The notices about these loans and holds move to the anonymised patron, and the mail
    they sent (which says who read what) is deleted; the notice rows keep kind and stage,
    so each notice is still sent at most once."""
    notices = Notice.objects.filter(Q(borrow_id__in=loan_ids) | Q(hold_id__in=hold_ids))
    Email.objects.filter(pk__in=notices.exclude(email_id=None).values("email_id")).delete()
    notices.update(user_id=anonymous_id)


def patron_notices_and_blocks_erase(user, actor, *, anonymous_id: int) -> None:
    """Erasure: every mail to the patron (notices, password resets) deleted, their notices
    moved to the anonymised patron, their notice preferences deleted, the reasons of their
    blocks (and of the blocks' history rows) replaced by ``ERASED_REASON``. ``user`` still
    has its address."""
    mine = Notice.objects.filter(user_id=user.pk)
    sent = Q(pk__in=mine.exclude(email_id=None).values("email_id"))
    if user.email:
        sent |= Q(to__icontains=user.email)
    Email.objects.filter(sent).delete()
    mine.update(user_id=anonymous_id)
    PatronPreferences.objects.filter(user_id=user.pk).delete()
    blocks = PatronBlock.objects.filter(user_id=user.pk)
    erased = {"reason": ERASED_REASON, "lift_reason": ""}
    PatronBlock.history.model.objects.filter(id__in=blocks.values("pk")).update(**erased)
    blocks.update(**erased)
