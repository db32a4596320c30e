"""Who may open a staff page: the decorator every staff view wears. A role that may not is told
"not found", like a page that does not exist, and the attempt is audited."""

from __future__ import annotations

import functools

from flask import abort, request
from flask_login import current_user, login_required

from .. import access


def role_required(*roles):
    """Only signed-in staff in one of these roles may open the view."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                access.audit(current_user, "refused", None, request.endpoint)
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator
