from robinet.backoffice.navigation import menu_for, menu_groups_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = menu_for(user, request.path)
    return {"nav_items": items, "nav_groups": menu_groups_for(items)}
