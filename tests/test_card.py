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


def test_a_card_drawn_before_is_sent_again_as_drawn(app, chat):
    """The live card is drawn once for each different turn (app.conversation.cards): a second
    person at the same question gets the card already drawn, the same HTML, and a turn that differs
    in any way (here, the language) is drawn for itself."""
    cards = app.extensions["cards"]
    first = chat()
    first.begin()
    drawn, hits = cards.misses, cards.hits
    second = chat()
    second.begin()
    assert second.turn["step"] == first.turn["step"] == "who"
    assert second.turn["card"] == first.turn["card"]
    assert cards.hits > hits and cards.misses == drawn  # nothing new drawn for the same turns
    welsh = chat(language="cy")
    welsh.begin()
    assert cards.misses > drawn
    assert "Parhau" in welsh.turn["card"] and "Parhau" not in first.turn["card"]


def test_the_kept_cards_are_bounded_and_keyed_by_all_they_are_drawn_from():
    from app.conversation.cards import Cards

    cards = Cards(size=2)
    drawn = []

    def draw(text):
        def make():
            drawn.append(text)
            return f"<p>{text}</p>"

        return make

    one = {"step": "a", "messages": ["Hello Sam"]}
    assert cards.card(one, "en", draw("1")) == "<p>1</p>"
    # Equal as values whatever the order their keys were made in: one card.
    assert cards.card({"messages": ["Hello Sam"], "step": "a"}, "en", draw("x")) == "<p>1</p>"
    # A different name, or language: drawn for itself, never another's card.
    assert cards.card({"step": "a", "messages": ["Hello Jo"]}, "en", draw("2")) == "<p>2</p>"
    assert cards.card(one, "cy", draw("3")) == "<p>3</p>"
    assert len(cards) == 2  # the oldest went
    assert cards.card(one, "en", draw("4")) == "<p>4</p>"
    assert drawn == ["1", "2", "3", "4"]
