"""Refusals worded for whoever asked: the patron, or the member of staff acting for them."""

from backoffice.core.errors import DomainError


def patron_name(user) -> str:
    return user.get_full_name() or user.get_username()


class WordedForWhoAsks(DomainError):
    """A refusal worded for whoever asked: the patron ("You have …") or the member of staff
    acting for them ("Alice Smith already has …"). ``{name}`` is the patron's name; other
    fields come from the keyword arguments."""

    patron_text = ""
    staff_text = ""

    def __init__(self, patron=None, *, for_staff: bool = False, **values):
        if for_staff and patron is not None:
            detail = self.staff_text.format(name=patron_name(patron), **values)
        else:
            detail = self.patron_text.format(**values)
        super().__init__(detail)
