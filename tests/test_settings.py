"""Configuration fails closed: production unless told otherwise, and never without SECRET_KEY."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

import config
from app import ConfigurationError, config_for, create_app, db


def test_plain_create_app_is_production_and_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("MSP_ENV", raising=False)
    monkeypatch.setattr(config.Config, "SECRET_KEY", None)
    monkeypatch.setattr(config.Config, "SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_each_mode_is_chosen_only_by_name(monkeypatch):
    monkeypatch.delenv("MSP_ENV", raising=False)
    assert config.environment() == "production"
    assert config_for("production") is config.Config
    assert config_for("development") is config.DevelopmentConfig
    assert config_for("test") is config.TestServerConfig
    monkeypatch.setenv("MSP_ENV", "Development")
    assert config.environment() == "development"
    with pytest.raises(ConfigurationError, match="MSP_ENV"):
        config_for("dev")


def test_the_test_servers_config_is_production_apart_from_password_hashing():
    production = {k: v for k, v in vars(config.Config).items() if k.isupper()}
    differs = {k for k, v in production.items() if getattr(config.TestServerConfig, k) != v}
    assert differs == {"ARGON2_COST"}
    assert not config.TestServerConfig.DEVELOPMENT


def test_runtime_data_goes_under_the_data_directory(tmp_path):
    made = create_app(
        config.TestConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DATA_DIR=str(tmp_path),
        BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "locales"),
    )
    assert Path(made.instance_path) == tmp_path
    assert (tmp_path / "locales" / "cy" / "LC_MESSAGES" / "messages.mo").exists()
    with made.test_request_context(), force_locale("cy"):
        assert gettext("Continue") != "Continue"
    with made.app_context():
        db.engine.dispose()
    assert config.Config.BABEL_TRANSLATION_DIRECTORIES == str(Path(config.Config.DATA_DIR) / "locales")
