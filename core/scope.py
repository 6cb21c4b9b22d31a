"""Data scopes: the one mechanism every view, API endpoint, export and selector goes through.

A user's scope is a list of grants. Each grant is a role held at a node of the org tree
(district, school, grade, class) or at a single student ("guardian of", "self"). Grants come from
explicit RoleGrant rows (admins) and from the facts of the org tree (a staff post makes one a staff
member of the school, a teaching assignment in the current term makes one the class's subject teacher,
being 班主任 makes one head teacher, a guardianship makes one guardian of that student).

Each scoped model declares ``scope_paths``: for each level, the ORM path to the node id at that level.
A grant matches an object when the object's node at the grant's level (or, for containers above the
grant such as the school of a teacher's class, the deepest level the model has) is the grant's node.
Which roles may do which actions on which model is the permission table in ``core.permissions``.
Deny by default: a user with no matching grant sees an empty queryset and ``can`` returns False.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q

LEVELS = ("district", "school", "grade", "klass", "student")
LEVEL_RANK = {name: i for i, name in enumerate(LEVELS)}


@dataclass(frozen=True)
class Grant:
    role: str
    level: str
    district_id: int | None = None
    school_id: int | None = None
    grade_id: int | None = None
    klass_id: int | None = None
    student_id: int | None = None

    def node_id(self, level: str) -> int | None:
        return getattr(self, f"{level}_id")


_PERMS: dict[str, dict[str, frozenset[str]]] = {}


def register_permissions(role: str, model_label: str, actions: set[str] | frozenset[str]) -> None:
    """Allow ``role`` to perform ``actions`` on ``model_label`` (``app_label.modelname``) within its grants."""
    current = _PERMS.setdefault(role, {}).get(model_label, frozenset())
    _PERMS[role][model_label] = current | frozenset(actions)


def role_allows(role: str, model_label: str, action: str) -> bool:
    return action in _PERMS.get(role, {}).get(model_label, frozenset())


def grants_for(user) -> list[Grant]:
    """All grants of ``user``, computed once per user object (i.e. once per request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_zx_grants", None)
    if cached is None:
        from .selectors.scope import scope_grants_load

        cached = scope_grants_load(user=user)
        user._zx_grants = cached
    return cached


def roles_of(user) -> set[str]:
    return {g.role for g in grants_for(user)}


def _match_level(grant: Grant, paths: dict[str, str]) -> str | None:
    """Deepest level of the model that is not below the grant's level (None: the grant cannot reach it)."""
    rank = LEVEL_RANK[grant.level]
    candidates = [lvl for lvl in paths if LEVEL_RANK[lvl] <= rank]
    return max(candidates, key=LEVEL_RANK.__getitem__) if candidates else None


def scope_q(user, model: type[models.Model], action: str) -> Q | None:
    """Q object for the rows of ``model`` on which ``user`` may do ``action``; None means nothing."""
    label = model._meta.label_lower
    paths: dict[str, str] = model.scope_paths
    by_path: dict[str, set[int]] = {}
    for grant in grants_for(user):
        if not role_allows(grant.role, label, action):
            continue
        level = _match_level(grant, paths)
        node = grant.node_id(level) if level else None
        if node is not None:
            by_path.setdefault(paths[level], set()).add(node)
    if not by_path:
        return None
    return reduce(or_, (Q(**{f"{path}__in": sorted(ids)}) for path, ids in by_path.items()))


def _resolve(obj, path: str):
    value = obj
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
    return value


def can(user, action: str, obj: models.Model) -> bool:
    """Whether ``user`` may do ``action`` on ``obj`` (saved or not yet saved)."""
    label = obj._meta.label_lower
    paths: dict[str, str] = type(obj).scope_paths
    for grant in grants_for(user):
        if not role_allows(grant.role, label, action):
            continue
        level = _match_level(grant, paths)
        node = grant.node_id(level) if level else None
        if node is not None and _resolve(obj, paths[level]) == node:
            return True
    return False


def roles_for(user, action: str, obj: models.Model) -> set[str]:
    """The roles through which ``user`` may do ``action`` on ``obj`` (e.g. guardian, head_teacher)."""
    label = obj._meta.label_lower
    paths: dict[str, str] = type(obj).scope_paths
    roles = set()
    for grant in grants_for(user):
        if grant.role in roles or not role_allows(grant.role, label, action):
            continue
        level = _match_level(grant, paths)
        node = grant.node_id(level) if level else None
        if node is not None and _resolve(obj, paths[level]) == node:
            roles.add(grant.role)
    return roles


def can_any(user, action: str, model: type[models.Model]) -> bool:
    """Whether ``user`` holds any grant allowing ``action`` on some ``model`` rows (menus, buttons)."""
    label = model._meta.label_lower
    return any(role_allows(g.role, label, action) for g in grants_for(user))


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view"):
        q = scope_q(user, self.model, action)
        if q is None:
            return self.none()
        return self.filter(q)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)
