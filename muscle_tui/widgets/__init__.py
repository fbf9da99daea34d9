"""Reusable widgets of the UI (the CSV form's parts)."""
