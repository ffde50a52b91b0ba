"""Who may do what: the single place that turns a user into a role."""

LIBRARIANS = "Librarians"
AUDITORS = "Auditors"


def _group_names(user) -> frozenset[str]:
    # Cached on the instance: a request asks several permission questions of one user.
    cached = getattr(user, "_shelfwise_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._shelfwise_group_names = cached
    return cached


def is_librarian(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or (user.is_staff and LIBRARIANS in _group_names(user))


def is_auditor(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_staff and not user.is_superuser and AUDITORS in _group_names(user)


def is_patron(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and not user.is_staff)


def can_read_all_circulation(user) -> bool:
    return is_librarian(user) or is_auditor(user)


def can_borrow(user) -> bool:
    return is_patron(user) or is_librarian(user)
