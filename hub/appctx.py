"""What services need from the running app, for code that runs inside its context."""

from __future__ import annotations

from flask import current_app

from hub.config import Settings
from hub.db import Database


def settings() -> Settings:
    return current_app.extensions["hub_settings"]


def database() -> Database:
    return current_app.extensions["hub_db"]
