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
