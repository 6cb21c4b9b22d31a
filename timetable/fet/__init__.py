"""FET (.fet) interop, pure Python (no Django).

``read_fet(path_or_bytes) -> (Problem, FetContext)`` turns a FET file into the
engine's input; ``write_fet(context, solution, path)`` writes the original file back
with every placed activity locked (ConstraintActivityPreferredStartingTime and
ConstraintActivityPreferredRoom, weight 100) so that FET opens it with our times.

Students sets are flattened to their smallest parts (subgroups; a group or year
without parts stands for itself): an activity of a year occupies every subgroup of
that year, so a subgroup clashes with its group and year. Constraints we do not
model are counted in ``FetContext.unsupported`` (type -> count), never dropped silently.
"""

from __future__ import annotations

from .reader import FetContext, read_fet
from .result import read_fet_activities
from .writer import write_fet

__all__ = ["FetContext", "read_fet", "read_fet_activities", "write_fet"]
