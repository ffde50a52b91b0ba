"""Patrons in CSV: accounts and their group membership, never passwords."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from import_export import widgets

from accounts.cards import card_number_new, card_number_normalize
from accounts.models import USERNAME_TAKEN, username_taken
from accounts.roles import AUDITORS, LIBRARIANS
from backoffice.core.resources import AllOrNothingResource, column, import_reason, is_blank

STAFF_GROUPS = frozenset({LIBRARIANS, AUDITORS})


class GroupNamesWidget(widgets.ManyToManyWidget):
    def __init__(self):
        super().__init__(Group, separator="|", field="name")

    def clean(self, value, row=None, **kwargs):
        names = [] if is_blank(value) else [n.strip() for n in str(value).split("|")]
        names = [n for n in names if n]
        groups = list(Group.objects.filter(name__in=names))
        unknown = sorted(set(names) - {group.name for group in groups})
        if unknown:
            raise ValueError(f"Unknown group(s): {', '.join(unknown)}.")
        return groups


class PatronResource(AllOrNothingResource):
    """Patron accounts. Passwords are never exported nor imported.

    A new account gets an unusable password (the patron sets one through a reset).
    Staff accounts and the staff groups are left to administrators: a librarian's import
    cannot touch a staff account nor put anyone in the Librarians or Auditors group.
    """

    groups = column("groups", GroupNamesWidget(), m2m_add=False)
    # Declared without the model's default: a blank cell must read as blank (keep the
    # card), not as a freshly generated number.
    card_number = column("card_number", widgets.CharWidget())
    is_staff = column("is_staff", widgets.BooleanWidget(), readonly=True)
    date_joined = column("date_joined", widgets.DateTimeWidget(), readonly=True)

    class Meta:
        model = get_user_model()
        fields = (
            "username",
            "email",
            "first_name",
            "last_name",
            "card_number",
            "is_active",
            "groups",
            "is_staff",
            "date_joined",
        )
        import_id_fields = ("username",)
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return get_user_model().objects.prefetch_related("groups")

    def import_instance(self, instance, row, **kwargs):
        actor = kwargs.get("user")
        is_admin = bool(actor and actor.is_superuser)
        errors = {}
        is_staff_account = instance.pk is not None and (instance.is_staff or instance.is_superuser)
        if is_staff_account and not is_admin:
            errors["username"] = "This is a staff account; only an administrator can edit it."
        card_before = instance.card_number
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors.update(error.message_dict)
        # A blank card cell keeps the patron's card (a new patron gets one): a file made
        # without the column, or with it emptied, never takes anyone's card away.
        instance.card_number = (
            card_number_normalize(instance.card_number) or card_before or card_number_new()
        )
        if instance.username and username_taken(instance.username, exclude_pk=instance.pk):
            errors["username"] = USERNAME_TAKEN  # "Auditor" beside "auditor", or twice in the file
        if "groups" in row:
            # Groups are saved after the row (many-to-many), so check them here, where an
            # error is reported against the row rather than as a crash.
            try:
                names = {group.name for group in self.fields["groups"].clean(row)}
            except ValueError as error:
                errors["groups"] = str(error)
            else:
                if names & STAFF_GROUPS and not is_admin:
                    errors["groups"] = (
                        "Only an administrator can grant the Librarians or Auditors role."
                    )
        if errors:
            raise ValidationError(errors)

    def after_init_instance(self, instance, new, row, **kwargs):
        if new:
            # Set before validation: the password field may not be blank.
            instance.set_unusable_password()

    def save_instance(self, instance, is_create, row, **kwargs):
        actor = kwargs.get("user")
        if actor is not None and actor.is_authenticated:
            instance._history_user = actor
        instance._change_reason = import_reason(kwargs)
        instance.save()

    def dehydrate_groups(self, user):
        # Uses the prefetched groups: one query for the whole export.
        return "|".join(sorted(group.name for group in user.groups.all()))
