"""Who may do what: the single place that turns a user into a role."""

LIBRARIANS = "Librarians"
AUDITORS = "Auditors"


def load_group_memberships(user) -> None:
    """Read the user's groups, their permissions and the user's own permissions in one
    query, cached on the instance.

    A request asks for roles (group names) and, in the admin, for permissions; Django's
    ModelBackend would read the user's permissions and the group permissions with a query
    each (accounts.backends.RoleAwareModelBackend reads this cache instead).
    """
    from django.contrib.auth.models import Permission
    from django.db.models import CharField, Value

    via_groups = user.groups.order_by().values_list(
        "name", "permissions__content_type__app_label", "permissions__codename"
    )
    direct = (
        Permission.objects.filter(user=user)
        .order_by()
        .values_list(Value(None, output_field=CharField()), "content_type__app_label", "codename")
    )
    rows = list(via_groups.union(direct, all=True))
    user._shelfwise_group_names = frozenset(name for name, _, _ in rows if name is not None)
    user._group_perm_cache = {
        f"{app}.{codename}" for name, app, codename in rows if name is not None and codename
    }
    user._shelfwise_user_perms = {
        f"{app}.{codename}" for name, app, codename in rows if name is None
    }


def _group_names(user) -> frozenset[str]:
    if getattr(user, "_shelfwise_group_names", None) is None:
        load_group_memberships(user)
    return user._shelfwise_group_names


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


def can_return_any_loan(user) -> bool:
    """Librarians, and staff allowed to change loans, return anyone's loan; others their own."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return is_librarian(user) or (user.is_staff and user.has_perm("library.change_borrow"))


def can_read_all_circulation(user) -> bool:
    return is_librarian(user) or is_auditor(user)


def can_borrow(user) -> bool:
    return is_patron(user) or is_librarian(user)
