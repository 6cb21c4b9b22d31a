from .regions import CITIES, COUNTIES, PROVINCES


def regions_ensure(Region) -> None:
    """Idempotently load the shipped GB/T 2260 codes (migration, tests after a flush, demo seeding)."""
    if Region.objects.filter(code__in=[c for c, *_ in COUNTIES]).count() == len(COUNTIES):
        return
    by_code = {}
    for code, name in PROVINCES:
        by_code[code], _ = Region.objects.get_or_create(code=code, defaults={"name": name, "level": "province"})
    for code, name, parent in CITIES:
        by_code[code], _ = Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": "city", "parent": by_code[parent]}
        )
    for code, name, parent in COUNTIES:
        Region.objects.get_or_create(code=code, defaults={"name": name, "level": "county", "parent": by_code[parent]})


# Loaders of reference data that migrations create (regions, code tables …). Apps register theirs in
# AppConfig.ready(); tests call them after a transactional flush has emptied the tables.
REFERENCE_LOADERS: list = []


def register_reference_loader(fn) -> None:
    if fn not in REFERENCE_LOADERS:
        REFERENCE_LOADERS.append(fn)


def reference_data_ensure() -> None:
    from core.models import Region

    regions_ensure(Region)
    for fn in REFERENCE_LOADERS:
        fn()
