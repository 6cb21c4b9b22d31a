"""Scope-matrix cases for the exam management and score entry pages (exams/urls_manage.py)."""
