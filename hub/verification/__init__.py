"""Verifications and offline draws too large for a web request, run by a worker (status by id)."""
