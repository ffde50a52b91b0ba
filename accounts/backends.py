from django.contrib.auth.backends import ModelBackend

from .roles import load_group_memberships


class RoleAwareModelBackend(ModelBackend):
    """ModelBackend whose permissions come with the group names, all in one query.

    Superusers keep ModelBackend's answer (every permission), which it computes itself.
    """

    def _own_cache(self, user_obj, obj) -> bool:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return False
        if user_obj.is_superuser:
            return False
        if not hasattr(user_obj, "_shelfwise_user_perms"):
            load_group_memberships(user_obj)
        return True

    def get_user_permissions(self, user_obj, obj=None):
        if not self._own_cache(user_obj, obj):
            return super().get_user_permissions(user_obj, obj)
        return user_obj._shelfwise_user_perms

    def get_group_permissions(self, user_obj, obj=None):
        if not self._own_cache(user_obj, obj):
            return super().get_group_permissions(user_obj, obj)
        return user_obj._group_perm_cache
