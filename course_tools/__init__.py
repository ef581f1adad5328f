"""Instructor and maintainer tooling (building notebooks, grading helpers, nbgrader preprocessors).
Student notebooks never import this package."""
