"""Invitations and hand-over: a code for Part 1 or 2, revoking it, and giving the tablet to the
person."""

from __future__ import annotations

import re

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import format_date, gettext
from flask_login import current_user, logout_user

from ... import access, council
from ...cases import CaseError
from ...cases import services as cases
from ...conversation import services as conv
from ...conversation import sessions as person_sessions
from .. import auth, forms, reading, services
from ..blueprint import _case_or_404, _found, bp
from ..guards import role_required
from .cases import case_page


@bp.post("/cases/<id:case_id>/invitations")
@role_required("worker", "manager")
def invite(case_id: int):
    """An invitation for Part 1 or 2: the same thing as ``flask invite`` makes, by the same rules."""
    case = _case_or_404(case_id, "invite")
    form = forms.InviteForm()
    try:
        new = cases.create_invitation(
            case.reference,
            form.part.data,
            form.language.data,
            form.respondent.data,
            form.name.data,
            representative_name=form.representative_name.data,
        )
    except cases.DoNotTellError as exc:
        # Said beside the form, with everything typed still in it; the attempt is audited (the
        # detail names nobody: the case page says who).
        access.audit(
            current_user, "invitation_stopped", case.id, "the representative is on the do-not-tell list"
        )
        return case_page(case, invite_form=form, invite_error=str(exc)), 400
    except CaseError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".case", case_id=case.id) + "#invite")
    # Shown once, in this response only: the code is never stored, and never put in a cookie (the
    # session cookie is signed, not encrypted). The form posts to "...#new-invitation", so the
    # browser opens the page at the panel. The page is not cached (no-store).
    return case_page(
        case,
        new_invitation={
            "id": new.invitation.id,
            "code": new.code,
            "url": new.url,
            "qr": services.qr_svg(new.url),
            "expires": new.invitation.expires_at.date().isoformat(),
            "letter": _letter(new) if council.in_wales() else None,
        },
    )


def _letter(new) -> list[tuple[str, dict]]:
    """Wales: what the person is given with the code, in Welsh and then in English (the Welsh Language
    Standards: Welsh first, and no less favourably). The words come from each language's catalogue."""
    address = re.sub(r"^https?://", "", current_app.config["PUBLIC_URL"].rstrip("/"))
    expires = new.invitation.expires_at.date()
    return council.welsh_and_english(
        lambda: {
            "title": gettext("Share your experience"),
            "open": gettext("Open this link on a phone, tablet or computer:"),
            "type": gettext("Or go to {address} and type this code:").format(address=address),
            "until": gettext("The code works until {date}.").format(date=format_date(expires, "d MMMM y")),
        }
    )


@bp.get("/cases/<id:case_id>/invitations")
@role_required("worker", "manager")
def invitations_page(case_id: int):
    """The address of the page that showed a new code, opened again: the code is not shown again."""
    case = _case_or_404(case_id)
    return redirect(url_for(".case", case_id=case.id) + "#invitations")


def _invitation_or_404(invitation_id: int, action: str):
    return _found(access.invitation_for(current_user, invitation_id, action))


def _still_open(invitation):
    """None if the invitation can still be used; otherwise where to go instead, having said why."""
    if conv.is_open(invitation.conversation):
        return None
    flash("This invitation can no longer be used. Make a new one.", "error")
    return redirect(url_for(".case", case_id=invitation.case_id) + "#invitations")


@bp.post("/invitations/<id:invitation_id>/revoke")
@role_required("worker", "manager")
def revoke(invitation_id: int):
    invitation = _invitation_or_404(invitation_id, "revoke_invitation")
    cases.revoke(invitation)
    return redirect(url_for(".case", case_id=invitation.case_id) + "#invitations")


@bp.get("/invitations/<id:invitation_id>/hand-over")
@role_required("worker", "manager")
def hand_over_screen(invitation_id: int):
    """Before the tablet changes hands: how to contact this person safely, then the one button."""
    invitation = _invitation_or_404(invitation_id, "hand_over_screen")
    closed = _still_open(invitation)
    if closed is not None:
        return closed
    return render_template(
        "staff/hand_over.html",
        invitation=invitation,
        case=invitation.case,
        contact=reading.contact_instructions(invitation.case),
    )


@bp.post("/invitations/<id:invitation_id>/hand-over")
@role_required("worker", "manager")
def hand_over(invitation_id: int):
    """Start the person's conversation on this device in one tap.

    The worker is signed out first, on the server: while the person holds the tablet nothing of the
    staff side can be reached, and getting back needs the worker's password.
    """
    invitation = _invitation_or_404(invitation_id, "hand_over")
    closed = _still_open(invitation)
    if closed is not None:
        return closed
    auth.end_session_for_token(current_user.get_id())
    logout_user()
    person_sessions.open_in(session, invitation.conversation)
    return redirect(url_for("conversation.chat"))
