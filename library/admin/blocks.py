"""Patron blocks in the back office: librarians set a block with a reason and lift it with
one; both are kept with who did it. The patron's page lists their blocks and notices.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import AutocompleteSelectFilter
from unfold.decorators import display

from accounts.admin import USER_PAGE_PANELS
from backoffice.core.admin import (
    ReadOnlyHistoryAdmin,
    ServiceWriteMixin,
    refused,
    when,
)
from backoffice.core.errors import DomainError
from library import selectors, services
from library.models import PatronBlock

from .notices import DELIVERY_WORDS


class ActiveFilter(admin.SimpleListFilter):
    title = _("in force")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("In force")), ("no", _("Lifted"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


class BlockSetForm(forms.ModelForm):
    class Meta:
        model = PatronBlock
        fields = ["user", "reason"]
        labels = {"user": _("Patron")}


class BlockLiftForm(forms.ModelForm):
    lift_reason = forms.CharField(
        label=_("Reason for lifting"),
        max_length=500,
        help_text=_("Saving with a reason lifts the block."),
    )

    class Meta:
        model = PatronBlock
        fields = ["lift_reason"]


@admin.register(PatronBlock)
class PatronBlockAdmin(ServiceWriteMixin, ReadOnlyHistoryAdmin, ModelAdmin):
    list_display = ["patron", "reason", "set_on", "created_by", "state", "lifted_by"]
    list_select_related = ["user", "created_by", "lifted_by"]
    list_filter = [ActiveFilter, ("user", AutocompleteSelectFilter)]
    list_filter_submit = True
    search_fields = ["user__username", "user__last_name", "reason"]
    autocomplete_fields = ["user"]
    show_full_result_count = False
    ordering = ["-created_at", "-id"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = BlockSetForm if obj is None else BlockLiftForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "reason"]
        shown = ["user", "reason", "created_at", "created_by"]
        if obj.is_active:
            return [*shown, "lift_reason"]
        return [*shown, "lifted_at", "lifted_by", "lift_reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["user", "reason", "created_at", "created_by"]
        return fixed if obj.is_active else [*fixed, "lifted_at", "lifted_by", "lift_reason"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_active:
            return False  # a lifted block is history
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            if change:
                block = services.block_lift(
                    block_id=obj.pk, actor=request.user, reason=form.cleaned_data["lift_reason"]
                )
            else:
                block = services.block_set(
                    user=form.cleaned_data["user"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
        except DomainError as error:
            raise refused(error, _("The block was not saved")) from error
        obj.pk = block.pk

    @display(description=_("Patron"), ordering="user__username")
    def patron(self, block):
        return block.user.get_full_name() or block.user.get_username()

    @display(description=_("Set"), ordering="created_at")
    def set_on(self, block):
        return when(block.created_at)

    @display(description=_("State"), label={"in force": "danger", "lifted": "success"})
    def state(self, block):
        return ("in force", _("In force")) if block.is_active else ("lifted", _("Lifted"))


def patron_panel(user) -> str:
    """The patron's blocks (in force first) and latest notices, for their admin page."""
    blocks = list(
        PatronBlock.objects.filter(user_id=user.pk)
        .select_related("created_by", "lifted_by")
        .order_by("lifted_at", "-created_at")[:10]
    )
    block_rows = format_html_join(
        "",
        '<li><a class="text-primary-600" href="{}">{}</a>: {}</li>',
        (
            (
                reverse("admin:library_patronblock_change", args=[b.pk]),
                b.reason,
                format_html("{} {}", _("in force since"), when(b.created_at))
                if b.is_active
                else format_html("{} {} ({})", _("lifted"), when(b.lifted_at), b.lift_reason),
            )
            for b in blocks
        ),
    )
    notice_rows = format_html_join(
        "",
        "<li>{}: {}, “{}” ({})</li>",
        (
            (when(n.created_at), n.kind_label, n.title, DELIVERY_WORDS[n.delivery])
            for n in selectors.notices_of(user, limit=10)
        ),
    )
    return format_html(
        '<div><strong>{}</strong> <a class="text-primary-600" href="{}?user={}">{}</a>'
        "<ul>{}</ul><strong>{}</strong><ul>{}</ul></div>",
        _("Blocks"),
        reverse("admin:library_patronblock_add"),
        user.pk,
        _("Block this patron"),
        block_rows or format_html("<li>{}</li>", _("None")),
        _("Notices sent"),
        notice_rows or format_html("<li>{}</li>", _("None")),
    )


# The user's page (accounts' admin) shows this panel; accounts does not import the library.
USER_PAGE_PANELS.append(patron_panel)
