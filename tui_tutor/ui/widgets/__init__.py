"""Widgets of the tutor's lesson view."""
