"""Demo data (``manage.py seed_demo``): a realistic district for demonstrations and load tests."""
