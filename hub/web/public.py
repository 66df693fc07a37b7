"""Public pages of the "one public" (一公开): nothing here needs signing in."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__, url_prefix="/public")
