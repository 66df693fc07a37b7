"""The hub's version (the OpenAPI document names it)."""

VERSION = "0.1.0"  # the one place the version is written: setup.cfg, hub --version and the OpenAPI document read it
