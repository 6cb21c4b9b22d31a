from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=``; ``limit`` defaults to 50 and is capped at 200. Output ``{"items": [...], "count": n}``."""

    class Input(Schema):
        limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, description=f"每页条数（最多 {MAX_PAGE_SIZE}）")
        offset: int = Field(0, ge=0, description="跳过的条数")

    def __init__(self, **kwargs):
        kwargs.setdefault("max_limit", MAX_PAGE_SIZE)
        super().__init__(**kwargs)
