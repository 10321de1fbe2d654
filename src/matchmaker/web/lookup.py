"""Moved to :mod:`matchmaker.lookup` (the live index, outside the web app, builds directories)."""

from ..lookup import Directory, Entry, fold

__all__ = ["Directory", "Entry", "fold"]
