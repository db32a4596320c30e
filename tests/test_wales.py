"""Wales: the JURISDICTION setting (required in production, an unknown one refused in every mode), and
what it changes; England, the default in development and the tests, is unchanged."""

from __future__ import annotations

import shutil

import pytest

from app import ConfigurationError, create_app, db
from config import Config, DevelopmentConfig, TestConfig


class Production(Config):
    """Production with every setting it needs, but the jurisdiction."""

    SECRET_KEY = "x" * 32
    PUBLIC_URL = "https://msp.council.example"
    MAIL_SERVER = "127.0.0.1"
    MAIL_DEFAULT_SENDER = "safeguarding@council.example"
    COUNCIL_PHONE = "01632 960001"
    COUNCIL_OUT_OF_HOURS_PHONE = "01632 960002"
    PRIVACY_NOTICE_URL = "https://council.example/privacy"
    RETENTION_YEARS = 6
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
