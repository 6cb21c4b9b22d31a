def shell(request):
    from .menu import menu_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"zx_menu": menu_for(request)}
