"""The hub's version (the OpenAPI document names it)."""

VERSION = "0.1.0"
