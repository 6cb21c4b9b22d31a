def shell(request):
    from .menu import menu_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .middleware import needs_mfa

    if not user.is_verified() and needs_mfa(user):
        return {"zx_menu": [], "zx_pending_mfa": True}  # nothing to navigate to until the second factor
    return {"zx_menu": menu_for(request)}
