from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.roles import can_borrow, can_read_all_circulation, is_librarian


class CatalogueReadOrLibrarianWrite(BasePermission):
    """Anyone may read the catalogue; only librarians change it."""

    message = "Only librarians can change the catalogue."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or is_librarian(request.user)


class CanBorrow(BasePermission):
    message = "Only patrons and librarians can borrow or return books."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or can_borrow(request.user)


class ReadsStatistics(BasePermission):
    message = "Only librarians and auditors can read library statistics."

    def has_permission(self, request, view):
        return can_read_all_circulation(request.user)
