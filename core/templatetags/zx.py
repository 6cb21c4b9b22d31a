from django import template

register = template.Library()


@register.filter
def add_class(field, css):
    """Render a bound form field with extra CSS classes (Bootstrap styling for Django forms)."""
    existing = field.field.widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def widget_type(field):
    return field.field.widget.__class__.__name__


@register.filter
def field(form, name):
    """A bound field of ``form`` by name, or None."""
    return form[name] if name in form.fields else None


@register.filter
def oob(html):
    """Mark a rendered widget for an htmx out-of-band swap (replaces the element with the same id)."""
    from django.utils.safestring import mark_safe

    text = str(html)
    for tag in ("<select ", "<input "):
        if text.startswith(tag):
            return mark_safe(text.replace(tag, f'{tag}hx-swap-oob="true" ', 1))
    return html
