"""Password reset by e-mail: the API's request and confirm steps, and the librarian's
"send the reset mail" in the admin, all through the one mail queue (django-post-office).

The answer to a request never says whether the address belongs to anyone. Patrons imported
from CSV have no usable password; they are exactly the ones who need this, so unlike
Django's form, an unusable password does not rule an account out. Several patrons may share
one address (a family): each gets their own mail, naming their username.
"""

from dj_rest_auth import serializers as rest_auth_serializers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from post_office.models import EmailTemplate
from rest_framework import serializers

from backoffice.core.background import nudge_after_commit
from backoffice.core.mail import mail_build, mail_render
from backoffice.core.serializers import StrictInputMixin

RESET_TEMPLATE = "password_reset"


def _reset_context(user) -> dict:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    # Plain replacement, not str.format: any other brace in the operator's URL stays as is.
    link = settings.PASSWORD_RESET_LINK.replace("{uid}", uid).replace("{token}", token)
    return {
        "name": user.get_full_name() or user.get_username(),
        "username": user.get_username(),
        "uid": uid,
        "token": token,
        "link": link,
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }


def password_reset_mail_queue(*, user) -> bool:
    """Queue ``user``'s reset mail (a one-use code); False when they have no address.

    Queued in the caller's transaction; delivery is asked for once it commits.
    """
    if not user.email:
        return False
    subject, text, html = mail_render(
        EmailTemplate.objects.get(name=RESET_TEMPLATE, language=""), _reset_context(user)
    )
    try:
        mail_build(to=user.email, subject=subject, text=text, html=html).save()
    except ValidationError:
        return False  # not an address: as good as none
    nudge_after_commit("library.tasks.deliver_mail")
    return True


class PatronPasswordResetForm(PasswordResetForm):
    def get_users(self, email):
        # Django's form skips unusable passwords; imported patrons have nothing else.
        return get_user_model()._default_manager.filter(email__iexact=email, is_active=True)

    def save(self, **kwargs):
        with transaction.atomic():
            for user in self.get_users(self.cleaned_data["email"]):
                password_reset_mail_queue(user=user)


class PasswordResetSerializer(StrictInputMixin, rest_auth_serializers.PasswordResetSerializer):
    email = serializers.EmailField(max_length=254)

    @property
    def password_reset_form_class(self):
        return PatronPasswordResetForm

    def save(self):
        self.reset_form.save()


class PasswordResetConfirmSerializer(
    StrictInputMixin, rest_auth_serializers.PasswordResetConfirmSerializer
):
    new_password1 = serializers.CharField(max_length=4096, trim_whitespace=False)
    new_password2 = serializers.CharField(max_length=4096, trim_whitespace=False)
    uid = serializers.CharField(max_length=32)
    token = serializers.CharField(max_length=64)
