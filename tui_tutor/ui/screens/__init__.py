"""Screens: lesson picker, lesson view, step list, help."""
