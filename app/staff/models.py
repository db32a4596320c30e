"""Kept only for ``tests/conftest.py``, which still imports ``Team`` and ``User`` from here: every
table lives in ``app.models``. Nothing in the app imports this module; delete it with that import."""

from ..models import Team, User

__all__ = ["Team", "User"]
