"""django-ninja API under /api/v1/ (built in core/api/)."""

from ninja import NinjaAPI

api = NinjaAPI(title="智校 Zhixiao API", version="1", urls_namespace="api")
