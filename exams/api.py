"""考试 API under /api/v1/exams/ (mounted in ExamsConfig.ready)."""

from ninja import Router

router = Router(tags=["考试"])


def exams_api_scope_cases(w):
    """Scoped GET endpoints of this router with sample objects from core.testing.build_world()."""
    return []
