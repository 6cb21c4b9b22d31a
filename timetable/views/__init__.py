"""Pages of the timetable module (see timetable/urls.py)."""
