"""The admin's user forms: usernames are unique whatever their case."""

from django.core.exceptions import ValidationError
from unfold.forms import UserChangeForm as UnfoldUserChangeForm
from unfold.forms import UserCreationForm as UnfoldUserCreationForm

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
    pass
