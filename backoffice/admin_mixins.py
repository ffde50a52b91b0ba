"""Admin permission mixins for records the system writes and people only read."""


class NoAddOrChangeMixin:
    """Nobody adds or edits these rows by hand; deleting stays a permission question
    (revoking an API token, unlocking a locked-out login)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin(NoAddOrChangeMixin):
    def has_delete_permission(self, request, obj=None):
        return False
