from django.contrib.auth import get_user_model
from rest_framework import serializers


class IssuedTokenSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    expiry = serializers.DateTimeField(read_only=True)


class UserDetailsSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "is_staff"]
        read_only_fields = fields
