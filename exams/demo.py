"""Demo data of the exams module: a seed_demo hook (registered in ExamsConfig.ready)."""


def exams_demo_seed(*, district, seed: int, out, batch_size: int = 2000) -> None:
    """Nothing yet."""
    return None
