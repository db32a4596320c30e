"""Signing in and out."""

from __future__ import annotations

from flask import redirect, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ... import access, limiter
from .. import auth, forms
from ..blueprint import _page, bp


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])  # slowed: repeated tries from one place wait
def sign_in():
    form, error = forms.SignInForm(), None
    if form.is_submitted():
        # The address the limiter keys on (the client's own, behind TRUSTED_PROXIES proxies).
        user = auth.check_password(form.email.data, form.password.data, get_remote_address())
        if user is None:
            # One message whatever the cause: unknown email, wrong password, locked or disabled.
            # (The failure is audited by check_password, with the account if there is one.)
            error = (
                "The email or password is not right, or the account is locked for a while "
                "after too many tries. Check and try again, or ask your administrator."
            )
        else:
            session.clear()  # no session fixation
            auth.start_session(user)
            login_user(user)
            access.audit(user, "sign_in")
            return redirect(url_for(".home"))
    return _page("staff/sign_in.html", error)


@bp.post("/sign-out")
@login_required
def sign_out():
    auth.end_session_for_token(current_user.get_id())
    access.audit(current_user, "sign_out")
    logout_user()
    session.clear()
    return redirect(url_for(".sign_in"))
