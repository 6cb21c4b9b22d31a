"""Scope-matrix cases for the exam report pages (exams/urls_report.py)."""
