"""The admin's user forms: usernames are unique whatever their case."""

from django.core.exceptions import ValidationError
from unfold.forms import UserChangeForm as UnfoldUserChangeForm
from unfold.forms import UserCreationForm as UnfoldUserCreationForm

from .cards import card_number_new, card_number_normalize
from .models import USERNAME_TAKEN, username_taken


class UsernameIgnoringCaseMixin:
    """A field error for "Alice" beside "alice", before the database constraint would
    turn it into an IntegrityError."""

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if username and username_taken(username, exclude_pk=self.instance.pk):
            raise ValidationError(USERNAME_TAKEN, code="unique")
        return username


class UserCreationForm(UsernameIgnoringCaseMixin, UnfoldUserCreationForm):
    pass


class UserChangeForm(UsernameIgnoringCaseMixin, UnfoldUserChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "card_number" in self.fields:
            self.fields["card_number"].required = False

    def clean_card_number(self):
        # Normalised before the model's validators and the unique check see it, so
        # "29-0012…" typed by hand and 290012… scanned are the same card.
        number = card_number_normalize(self.cleaned_data.get("card_number"))
        return number or card_number_new()
