"""The question card: one template (app/templates/_card.html) draws it for the plain page and for
every socket turn, escaped and in the conversation's language."""

import re


def heading(card: str) -> str:
    return re.search(r'<h1 class="app-heading app-heading--question"[^>]*>(.*?)</h1>', card, re.S)[1]


def test_every_turn_carries_its_card_drawn_from_the_one_template(chat):
    c = chat()
    turn = c.begin()  # welcome, then "Yes, let's start"
    assert turn["step"] == "who"
    card = turn["card"]
    assert heading(card) == "Who is answering these questions?"
    for i, option in enumerate(turn["input"]["options"], start=1):
        assert f'id="opt-{i}" value="{option["value"]}"' in card
        assert f'<label class="app-option__label" for="opt-{i}">{option["label"]}</label>' in card
    # Live: buttons say what they do and nothing posts (the socket carries the answer).
    assert 'data-step="who"' in card and 'method="post"' not in card and "csrf_token" not in card


def test_what_a_person_typed_is_escaped_in_the_card(chat):
    c = chat()
    assert c.begin()["step"] == "who"
    c.answer("representative")
    c.answer("imca")
    c.answer('<b onmouseover="x()">Sam</b>')  # the person's name, used in later questions
    card = c.turn["card"]
    assert c.turn["step"] == "view"
    assert "&lt;b onmouseover=&#34;x()&#34;&gt;Sam&lt;/b&gt;" in card
    assert "<b " not in card
    back = c.emit("back")
    assert back["ok"]
    card = c.turn["card"]
    assert c.turn["step"] == "name"  # the typed name, back in its box to change
    assert "&lt;b onmouseover=&#34;x()&#34;&gt;Sam&lt;/b&gt;</textarea>" in card


def test_the_card_speaks_the_conversations_language(chat):
    c = chat(language="cy")
    assert "Parhau" in c.turn["card"]  # "Continue"
    assert c.emit("language", {"lang": "ar"})["ok"]
    assert "متابعة" in c.turn["card"] and "Parhau" not in c.turn["card"]


def test_the_plain_page_draws_the_same_card(app, client, invite, chat):
    code = invite(respondent="self")
    c = chat(code)
    # The welcome and "Shall we start?"; the invitation says who answers, so the next is a question.
    assert c.begin()["step"] == "involve_how"
    live = c.turn["card"]
    client.get(f"/s/{code}")
    page = client.get("/chat").get_data(as_text=True)
    # The same question, options and ids; only the plain page's forms post.
    assert heading(live) in page
    for option_id in re.findall(r'id="(opt-\d+)"', live):
        assert f'id="{option_id}"' in page
    assert 'method="post"' in page


def test_the_cards_own_words_are_in_the_conversations_language(chat):
    # The template's own words (not the dialogue's): looked up in the conversation's catalogue.
    c = chat(language="cy")
    assert c.begin()["step"] == "who"
    card = c.turn["card"]
    assert '<button type="button" class="app-back-link" data-action="back">Yn ôl</button>' in card
    assert ">Back<" not in card and ">Read aloud<" not in card
    assert c.emit("language", {"lang": "en"})["ok"]
    assert 'data-action="back">Back</button>' in c.turn["card"]
