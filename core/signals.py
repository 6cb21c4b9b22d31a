from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_record


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    import time

    request.session["zx_last_seen"] = int(time.time())
    audit_record(actor=user, action="login", object_type="core.user", object_repr=user.username)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="logout", object_type="core.user", object_repr=user.username)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    audit_record(
        actor=None,
        action="login_failed",
        object_type="core.user",
        object_repr=str(credentials.get("username", ""))[:150],
        result="denied",
    )
