from django.contrib.auth.backends import ModelBackend

from .roles import load_group_memberships


class RoleAwareModelBackend(ModelBackend):
    """ModelBackend whose group permissions come with the group names, in one query."""

    def get_group_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_group_permissions(user_obj, obj)
        if not hasattr(user_obj, "_group_perm_cache"):
            load_group_memberships(user_obj)
        return user_obj._group_perm_cache
