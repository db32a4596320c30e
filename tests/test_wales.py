"""Wales: the JURISDICTION setting (required in production, an unknown one refused in every mode), and
what it changes; England, the default in development and the tests, is unchanged."""

from __future__ import annotations

import re
import shutil

import pytest
import sqlalchemy as sa
from conftest import CompleteProduction

from app import ConfigurationError, create_app, db
from config import Config, DevelopmentConfig, TestConfig


class Production(CompleteProduction):
    """Production with every setting it needs, but the jurisdiction."""

    JURISDICTION = None


@pytest.fixture
def make_app(tmp_path, migrated_db):
    """``make_app(config=TestConfig, **settings)``: an app on a copy of the migrated database."""
    made = []

    def make(config=TestConfig, **settings):
        path = tmp_path / f"app{len(made)}.sqlite3"
        shutil.copyfile(migrated_db, path)
        app = create_app(config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", **settings)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


# -- the setting -----------------------------------------------------------------------------------


def test_production_will_not_start_without_a_jurisdiction(make_app):
    with pytest.raises(ConfigurationError, match="set JURISDICTION in the environment"):
        make_app(Production)


@pytest.mark.parametrize("config", [Production, TestConfig])
def test_an_unknown_jurisdiction_stops_start_up_naming_the_setting(make_app, config):
    with pytest.raises(ConfigurationError, match="JURISDICTION='scotland' is not one of england, wales"):
        make_app(config, JURISDICTION="scotland")


@pytest.mark.parametrize("jurisdiction", ["england", "wales"])
def test_production_starts_in_either_jurisdiction(make_app, jurisdiction):
    assert make_app(Production, JURISDICTION=jurisdiction).config["JURISDICTION"] == jurisdiction


def test_the_demo_and_the_tests_are_in_england_unless_told(monkeypatch):
    assert TestConfig.JURISDICTION == "england"
    assert DevelopmentConfig.JURISDICTION in ("england", "wales")  # the shell may say wales
    import config

    monkeypatch.setenv("JURISDICTION", " Wales ")
    assert config._jurisdiction(None) == "wales"  # as read from the environment: trimmed, any case
    monkeypatch.delenv("JURISDICTION")
    assert config._jurisdiction("england") == "england" and config._jurisdiction(None) is None


# -- help contacts ---------------------------------------------------------------------------------

ENGLAND = [
    ("emergency", "999"),
    ("council", "0300 123 4567"),
    ("council_out_of_hours", "0300 123 4568"),
    ("domestic_abuse", "0808 2000 247"),
    ("samaritans", "116 123"),
]
WALES = [
    ("emergency", "999"),
    ("council", "0300 123 4567"),
    ("council_out_of_hours", "0300 123 4568"),
    ("live_fear_free", "0808 80 10 800"),
    ("samaritans", "116 123"),
    ("samaritans_welsh", "0808 164 0123"),
]


def shown_contacts(app, lang="en"):
    from flask_babel import force_locale

    from app.conversation.preferences import help_contacts

    with app.test_request_context(), force_locale(lang):
        return help_contacts()


@pytest.mark.parametrize("jurisdiction, expected", [("england", ENGLAND), ("wales", WALES)])
def test_each_jurisdiction_has_its_own_help_contacts_in_order(make_app, jurisdiction, expected):
    contacts = shown_contacts(make_app(JURISDICTION=jurisdiction))
    assert [(c["kind"], c["number"]) for c in contacts] == expected
    # The council's numbers are the demo's placeholders here, and say so; the national lines are real.
    examples = {c["kind"] for c in contacts if c.get("example")}
    assert examples == {"council", "council_out_of_hours"}
    assert all(c["example"] == "Example only, not a real number" for c in contacts if c.get("example"))


def test_englands_contacts_say_what_they_said_before(make_app):
    labels = [c["label"] for c in shown_contacts(make_app())]
    assert labels == [
        "If you are in danger now, call the police on",
        "Adult social care at the council, in office hours",
        "The council's emergency duty team, evenings and weekends",
        "National Domestic Abuse Helpline, free, day and night",
        "Samaritans, to talk to someone, free, day and night",
    ]


def test_wales_contacts_are_labelled_in_welsh_from_the_catalogue(make_app):
    app = make_app(JURISDICTION="wales")
    english = {c["kind"]: c["label"] for c in shown_contacts(app)}
    assert english["live_fear_free"].startswith("Live Fear Free helpline")
    assert "day and night" not in english["samaritans_welsh"]  # it is open at set times only
    welsh = {c["kind"]: c["label"] for c in shown_contacts(app, "cy")}
    assert welsh["samaritans"].startswith("Y Samariaid")
    assert "Byw Heb Ofn" in welsh["live_fear_free"]
    assert "Samaritans" not in " ".join(welsh.values())  # the glossary's word in Welsh
    assert welsh["council"] != english["council"]


def test_the_help_page_in_wales_shows_wales_lines(make_app):
    page = make_app(JURISDICTION="wales").test_client().get("/help").get_data(as_text=True)
    assert 'href="tel:08088010800"' in page and 'href="tel:08081640123"' in page
    assert "0808 2000 247" not in page  # England's helpline is not Wales's


def write(tmp_path, text, name="help_contacts.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
england:
  - kind: emergency
    number: "999"
wales:
  - kind: emergency
    number: 999
  - kind: local
    number: "01632 960999"
    label:
      en: "Our local advocacy service, in office hours"
      cy: "Ein gwasanaeth eirioli lleol, yn ystod oriau swyddfa"
"""


def problems(tmp_path, text, required="wales"):
    from app.council import ContactsError, load_contacts

    path = write(tmp_path, text)
    with pytest.raises(ContactsError) as refused:
        load_contacts(path, TestConfig.LANGUAGES, required)
    return [p.replace(str(path), "FILE") for p in refused.value.problems]


def test_a_council_may_add_a_line_of_its_own_with_its_words(make_app, tmp_path):
    app = make_app(JURISDICTION="wales", HELP_CONTACTS_FILE=str(write(tmp_path, GOOD)))
    assert [(c["kind"], c["number"], c["label"]) for c in shown_contacts(app, "cy")] == [
        ("emergency", "999", "Os ydych chi mewn perygl nawr, ffoniwch yr heddlu ar"),
        ("local", "01632 960999", "Ein gwasanaeth eirioli lleol, yn ystod oriau swyddfa"),
    ]
    # A language the council gave no words in shows the English.
    assert shown_contacts(app, "pl")[1]["label"] == "Our local advocacy service, in office hours"


# Wales's list, its first contact (lines 1-3) as it must be.
WALES_999 = "wales:\n  - kind: emergency\n    number: '999'\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("england:\n  - kind: emergency\n   number: '999'\n", "FILE:3: not valid YAML"),
        ("scotland:\n  - kind: emergency\n    number: '999'\n", 'FILE:1: "scotland" is not a jurisdiction'),
        (WALES_999 + "  - kind: samaritan\n    number: '116 123'\n", 'FILE:4: "samaritan" is not a kind'),
        (WALES_999 + "  - kind: samaritans\n", "FILE:4: the samaritans contact needs a number or a setting"),
        (
            WALES_999 + "  - kind: samaritans\n    number: 'one one six'\n",
            'FILE:5: "one one six" is not a phone',
        ),
        (
            WALES_999 + "  - kind: council\n    setting: COUNCIL_FAX\n",
            'FILE:5: "COUNCIL_FAX" is not a number setting',
        ),
        (
            WALES_999 + "  - kind: samaritans\n    number: '116 123'\n    label: Talk\n",
            "FILE:6: the samaritans line's words come from the translations",
        ),
        (
            WALES_999 + "  - kind: local\n    number: '01632 960999'\n    label:\n      en: Ours\n",
            "FILE:7: in Wales a label needs its words in Welsh too",
        ),
        ("wales:\n  - kind: samaritans\n    number: '116 123'\n", "FILE:2: wales has no emergency line"),
        ("wales:\n  - kind: emergency\n    number: '112'\n", "FILE:2: the emergency number is 999"),
        (
            WALES_999 + "  - kind: emergency\n    number: '999'\n",
            'FILE:4: wales has "emergency" twice (first on line 2)',
        ),
        ("wales:\n  - kind: emergency\n    numbr: '999'\n", 'FILE:3: "numbr" is not a key of a contact'),
        ("england:\n  - kind: emergency\n    number: '999'\n", "FILE:1: no list for wales (JURISDICTION)"),
    ],
)
def test_a_mistake_in_the_contacts_file_is_named_with_its_line(tmp_path, text, expected):
    found = problems(tmp_path, text)
    assert any(p.startswith(expected) for p in found), found


def test_a_broken_contacts_file_stops_start_up_naming_the_file_and_line(make_app, tmp_path):
    from app.council import ContactsError

    path = write(
        tmp_path, "england:\n  - kind: emergency\n    number: '999'\n  - kind: helpline\n    number: '1'\n"
    )
    with pytest.raises(ContactsError, match=rf'{path}:4: "helpline" is not a kind'):
        make_app(HELP_CONTACTS_FILE=str(path))
    with pytest.raises(ContactsError, match="cannot be read"):
        make_app(HELP_CONTACTS_FILE=str(tmp_path / "missing.yaml"))


def test_the_shipped_contacts_file_is_valid_for_both_jurisdictions():
    from app.council import load_contacts

    lists = load_contacts(Config.HELP_CONTACTS_FILE, Config.LANGUAGES)
    assert set(lists) == {"england", "wales"}


# -- the Active Offer of Welsh ---------------------------------------------------------------------


def invite_in(app, reference="W-1", **kwargs):
    """An invitation on a new case (given to the team's worker), made as the staff pages make it."""
    from conftest import WORKER_EMAIL, ensure_team

    from app.cases.services import create_invitation

    ensure_team(app)
    with app.app_context():
        return create_invitation(reference, 1, worker=WORKER_EMAIL, **kwargs).code


def case_row(app, reference="W-1"):
    from app.cases.services import find_case

    with app.app_context():
        case = find_case(reference)
        db.session.expunge(case)
        return case


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def offer_of(html):
    """The offer section of a page, or None."""
    if 'data-role="welsh-offer"' not in html:
        return None
    return html.split('data-role="welsh-offer"')[1].split("</section>")[0]


def test_in_wales_the_start_page_offers_welsh_first_before_the_code(make_app):
    page = make_app(JURISDICTION="wales").test_client().get("/").get_data(as_text=True)
    offer = offer_of(page)
    assert offer is not None
    assert page.index('data-role="welsh-offer"') < page.index('id="code"')  # before the code entry
    # Welsh first, from the Welsh catalogue; then English. Each marked with its language.
    welsh = '<span lang="cy">Hoffech chi ddefnyddio&#39;r Gymraeg neu&#39;r Saesneg?</span>'
    english = '<span lang="en">Would you like to use Welsh or English?</span>'
    assert welsh in offer and english in offer and offer.index(welsh) < offer.index(english)
    assert offer.index('value="cy"') < offer.index('value="en"')
    assert ">Cymraeg</button>" in offer and ">English</button>" in offer
    assert 'action="/language"' in offer  # the choice is posted: nothing about anyone in a URL


def test_in_england_the_start_page_has_no_offer(make_app):
    page = make_app().test_client().get("/").get_data(as_text=True)
    assert offer_of(page) is None and "Hoffech chi" not in page


def test_the_choice_at_the_start_page_is_recorded_on_the_case_when_the_code_opens_it(make_app):
    app = make_app(JURISDICTION="wales")
    code = invite_in(app)
    assert case_row(app).welsh_offer == "offered"  # the invitation made the offer
    client = app.test_client()
    start = client.get("/").get_data(as_text=True)
    assert client.post("/language", data={"lang": "cy", "csrf_token": csrf_of(start)}).status_code == 302
    again = client.get("/").get_data(as_text=True)
    assert offer_of(again) is None  # answered: not asked again in this browser
    assert client.post("/start", data={"code": code, "csrf_token": csrf_of(again)}).status_code == 302
    case = case_row(app)
    assert case.welsh_offer == "accepted" and case.welsh_offer_at is not None
    assert case.language == "cy"  # the next invitation is in Welsh too
    chat = client.get("/chat").get_data(as_text=True)
    assert 'lang="cy"' in chat and offer_of(chat) is None
    with app.app_context():
        from app.models import Conversation

        assert db.session.scalars(sa.select(Conversation)).one().language == "cy"


def test_a_language_chosen_after_the_offer_is_the_one_spoken(make_app):
    from app.models import Conversation

    app = make_app(JURISDICTION="wales")
    code = invite_in(app)
    client = app.test_client()
    client.post(
        "/language", data={"lang": "cy", "csrf_token": csrf_of(client.get("/").get_data(as_text=True))}
    )
    client.post(
        "/language", data={"lang": "pl", "csrf_token": csrf_of(client.get("/").get_data(as_text=True))}
    )
    client.post("/start", data={"code": code, "csrf_token": csrf_of(client.get("/").get_data(as_text=True))})
    assert case_row(app).welsh_offer == "accepted"  # the offer's answer: the first choice
    with app.app_context():
        assert db.session.scalars(sa.select(Conversation)).one().language == "pl"
    assert 'lang="pl"' in client.get("/chat").get_data(as_text=True)


def test_by_the_link_welsh_is_offered_before_the_first_question(make_app):
    app = make_app(JURISDICTION="wales")
    client = app.test_client()
    assert client.get(f"/s/{invite_in(app)}").status_code == 302
    page = client.get("/chat").get_data(as_text=True)
    offer = offer_of(page)
    assert offer is not None and '<h1 class="app-heading" id="welsh-offer-title">' in offer
    assert 'id="code"' not in page and 'data-role="current"' not in page  # no question yet
    assert client.post("/language", data={"lang": "en", "csrf_token": csrf_of(page)}).status_code == 302
    case = case_row(app)
    assert case.welsh_offer == "declined" and case.language == "en"
    chat = client.get("/chat").get_data(as_text=True)
    assert offer_of(chat) is None and 'data-role="current"' in chat
    # A later change of language is the person's to make; the answer to the offer stays as given.
    client.post("/language", data={"lang": "cy", "csrf_token": csrf_of(chat)})
    assert case_row(app).welsh_offer == "declined"
    # Another invitation for the case does not offer it again as if it were new.
    code = invite_in(app)
    assert case_row(app).welsh_offer == "declined"
    other = app.test_client()
    other.get(f"/s/{code}")
    assert offer_of(other.get("/chat").get_data(as_text=True)) is None


def test_in_england_nothing_is_offered_or_recorded(make_app):
    app = make_app()
    client = app.test_client()
    client.get(f"/s/{invite_in(app)}")
    page = client.get("/chat").get_data(as_text=True)
    assert offer_of(page) is None and 'data-role="current"' in page
    client.post("/language", data={"lang": "cy", "csrf_token": csrf_of(page)})
    case = case_row(app)
    assert case.welsh_offer is None and case.welsh_offer_at is None


def test_the_service_refuses_in_england_and_for_a_language_not_offered(make_app):
    from app.conversation.preferences import answer_welsh_offer
    from app.models import Conversation

    england = make_app()
    invite_in(england)
    with england.app_context():
        conversation_id = db.session.scalars(sa.select(Conversation.id)).one()
        assert answer_welsh_offer(conversation_id, "cy").error == "not_offered"
    wales = make_app(JURISDICTION="wales")
    invite_in(wales)
    with wales.app_context():
        conversation_id = db.session.scalars(sa.select(Conversation.id)).one()
        assert answer_welsh_offer(conversation_id, "gd").error == "not_a_language"
        assert answer_welsh_offer(conversation_id, "pl").ok
    assert case_row(wales).welsh_offer == "declined"


# -- the staff pages -------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


def worker_client(app, email="worker@north.example"):
    """A worker of a team with a duty inbox, signed in."""
    from app.staff.teams import create_team, create_user, find_team

    with app.app_context():
        if find_team("North") is None:
            create_team("North", "duty@north.example")
        create_user(email, "worker", "North", PASSWORD)
    client = app.test_client()
    page = client.get("/staff/sign-in").get_data(as_text=True)
    signed = client.post(
        "/staff/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(page)}
    )
    assert signed.status_code == 302
    return client


def staff_post(client, url, data, page):
    return client.post(url, data={**data, "csrf_token": csrf_of(client.get(page).get_data(as_text=True))})


def new_case(client, reference="W-100"):
    data = {"reference": reference, "preferred_name": "Sam", "language": "en", "communication_needs": ""}
    response = staff_post(client, "/staff/cases/new", data, "/staff/cases/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def make_invitation(client, case_id, **fields):
    page = f"/staff/cases/{case_id}"
    return staff_post(client, f"/staff/cases/{case_id}/invitations", {"part": "1", **fields}, page)


def test_in_wales_the_new_invitation_is_given_in_welsh_first_then_english(make_app):
    app = make_app(JURISDICTION="wales", PUBLIC_URL="https://msp.council.example")
    worker = worker_client(app)
    case_id = new_case(worker)
    page = make_invitation(worker, case_id).get_data(as_text=True)
    code = re.search(r'data-role="code">([A-Z0-9-]+)<', page)[1]
    letter = page.split('data-role="invitation-letter"')[1].split("</div>")[0]
    welsh, english = letter.index('lang="cy"'), letter.index('lang="en"')
    assert welsh < english
    cy, en = letter[welsh:english], letter[english:]
    # The Welsh is the cy catalogue's, the date in Welsh; both give the same code and link.
    assert "Rhannwch eich profiad" in cy and "Share your experience" in en
    assert "Neu ewch i msp.council.example a theipiwch y cod hwn:" in cy
    assert re.search(r"Mae&#39;r cod yn gweithio tan \d+ \w+ \d{4}\.", cy)
    assert "Or go to msp.council.example and type this code:" in en
    assert re.search(r"The code works until \d+ [A-Z][a-z]+ \d{4}\.", en)
    for part in (cy, en):
        assert code in part and f"https://msp.council.example/s/{code}" in part
    # The offer was made with the invitation, and the case page says so.
    assert case_row(app, "W-100").welsh_offer == "offered"
    assert "Offered with an invitation" in page.split('data-role="welsh-offer"')[1].split("</dd>")[0]


def test_in_england_the_new_invitation_panel_is_as_it_was(make_app):
    app = make_app()
    worker = worker_client(app)
    case_id = new_case(worker)
    page = make_invitation(worker, case_id).get_data(as_text=True)
    assert 'data-role="code"' in page
    assert 'data-role="invitation-letter"' not in page and 'lang="cy"' not in page
    assert 'data-role="welsh-offer"' not in page  # nothing about Welsh on the case page
    assert case_row(app, "W-100").welsh_offer is None


def test_the_case_page_shows_the_answer_to_the_offer(make_app):
    app = make_app(JURISDICTION="wales")
    worker = worker_client(app)
    case_id = new_case(worker)
    code = re.search(
        r'data-role="code">([A-Z0-9-]+)<', make_invitation(worker, case_id).get_data(as_text=True)
    )[1]
    person = app.test_client()
    person.get(f"/s/{code}")
    person.post(
        "/language", data={"lang": "cy", "csrf_token": csrf_of(person.get("/chat").get_data(as_text=True))}
    )
    shown = worker.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    said = shown.split('data-role="welsh-offer"')[1].split("</dd>")[0]
    when = case_row(app, "W-100").welsh_offer_at
    assert said == f">Accepted: chose Welsh, {when.day} {when.strftime('%b %Y')}"


def test_the_new_case_page_names_englands_standard_only_in_england(make_app):
    england = worker_client(make_app()).get("/staff/cases/new").get_data(as_text=True)
    assert "Communication needs (Accessible Information Standard)" in england
    assert "offered Welsh first" not in england
    wales = worker_client(make_app(JURISDICTION="wales")).get("/staff/cases/new").get_data(as_text=True)
    assert "Accessible Information Standard" not in wales and ">Communication needs</label>" in wales
    assert "They are offered Welsh first, whatever is chosen here." in wales
