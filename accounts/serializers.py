import unicodedata
from collections.abc import Mapping

from django.contrib.auth import authenticate, get_user_model
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from backoffice.core.serializers import ModelSerializer

CREDENTIALS_REFUSED = "Unable to log in with provided credentials."


class LoginSerializer(serializers.Serializer):
    """A username (in any case) and its password; no other field is accepted."""

    # One way to name an account: an e-mail address is not a login (two patrons may share
    # one), and a field the API does not know is refused rather than ignored, so a client
    # never believes it signed in by something it did not. Whether the username exists or
    # not, the same work is done (ModelBackend hashes the password either way), so the
    # answer's timing does not tell.
    username = serializers.CharField(max_length=150)
    # Without a bound, each request could make the server hash megabytes.
    password = serializers.CharField(max_length=4096, trim_whitespace=False)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            # The browsable API's HTML form (DEBUG only) posts its CSRF token too.
            unknown = sorted(set(data) - set(self.fields) - {"csrfmiddlewaretoken"})
            if unknown:
                raise ValidationError(
                    {
                        name: [
                            "Log in with your username and password; "
                            + (
                                "e-mail addresses are not accepted."
                                if name == "email"
                                else "this field is not accepted."
                            )
                        ]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)

    def validate_username(self, username: str) -> str:
        # As the admin's login form does (UsernameField): full-width letters are plain ones.
        return unicodedata.normalize("NFKC", username)

    def validate(self, attrs):
        user = authenticate(
            self.context["request"], username=attrs["username"], password=attrs["password"]
        )
        # Inactive accounts are refused by ModelBackend with the same answer, so a
        # disabled account cannot be told from a wrong password.
        if user is None:
            raise ValidationError(CREDENTIALS_REFUSED)
        attrs["user"] = user
        return attrs


class IssuedTokenSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    expiry = serializers.DateTimeField(read_only=True)


class UserDetailsSerializer(ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "is_staff", "card_number"]
        read_only_fields = fields
