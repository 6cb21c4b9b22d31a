"""Timetabling engine (pure Python, OR-Tools CP-SAT). No Django imports here.

The functions are imported eagerly on purpose: the submodules ``precheck`` and
``evaluate`` share their function's name, and a lazy wrapper would be shadowed by
the submodule as soon as it is imported.
"""

from .evaluate import evaluate
from .model import (
    Conflict,
    Extra,
    Lesson,
    Placement,
    Problem,
    Room,
    Slot,
    Solution,
    StudentGroup,
    Teacher,
    Week,
    Weights,
)
from .precheck import precheck
from .solver import explain, solve

__all__ = [
    "Conflict",
    "Extra",
    "Lesson",
    "Placement",
    "Problem",
    "Room",
    "Slot",
    "Solution",
    "StudentGroup",
    "Teacher",
    "Week",
    "Weights",
    "evaluate",
    "explain",
    "precheck",
    "solve",
]
