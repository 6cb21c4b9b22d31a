"""Logging in with a mobile number: parents know their phone, not the username the platform gave them.

The number is matched through the blind index of the encrypted phone (nothing is decrypted); an ambiguous
number (two active accounts) logs nobody in, so the username must be used."""

from __future__ import annotations

import re

from django.contrib.auth.backends import ModelBackend

from .crypto import blind_index

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class PhoneBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        number = (username or "").strip().replace(" ", "").replace("-", "")
        if not password or not _MOBILE.match(number):
            return None
        from .models import User

        users = list(User.objects.filter(person__phone_index=blind_index(number, "phone"), is_active=True)[:2])
        if len(users) != 1:
            User().set_password(password)  # same work as a real check: no timing hint about the number
            return None
        user = users[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
