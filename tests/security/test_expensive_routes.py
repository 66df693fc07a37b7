"""Finding 7: the anonymous /verify and the signed-in /draws/offline are rate-limited, and a large
verification never runs on the request thread (a worker takes it, or it is refused)."""

from __future__ import annotations

import json
import time

import redis

from hub.draw import jdp
from tests.security.conftest import bearer, make_user


def _large_verification() -> dict:
    """A genuine record over ~76 KB of roster (more than the 64 KB done inline)."""
    plan = json.loads(open("tests/draw/vectors/v-public.plan.json", encoding="utf-8").read())
    roster = "".join(f"1237010{i:011d}\tS|hotel\t3\t370103\n" for i in range(2000))
    pool = "".join(f"{a}-{i:04d}\t{a}\t-\t370105\t1000\t-\n" for a in ("HEALTH", "SAMR") for i in range(20))
    plan["quotas"] = {"S|hotel": 5}
    reveals = {"hub": "ab" * 32}
    commitments = {p: jdp.commitment(p, h, "sha256", plan["protocol"]) for p, h in reveals.items()}
    record = jdp.draw(plan, roster.encode(), pool.encode(), commitments, reveals, "x")
    return {"record": record, "roster": roster, "pool": pool}


def test_anonymous_verification_is_rate_limited_per_address(app):
    client = app.test_client()
    for _ in range(10):
        assert client.post("/api/v1/verify", json={}).status_code == 400
    resp = client.post("/api/v1/verify", json={})
    assert resp.status_code == 429 and resp.json["status"] == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 2 * 60 + 1  # this window and the next (limits.py)
    other = client.post("/api/v1/verify", json={}, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 400


def test_offline_draws_are_rate_limited_per_user(app, db):
    alice, bob = make_user(db, "alice", ["auditor"]), make_user(db, "bob", ["auditor"])
    client = app.test_client()
    for _ in range(10):
        assert client.post("/api/v1/draws/offline", json={}, headers=bearer(alice)).status_code == 400
    assert client.post("/api/v1/draws/offline", json={}, headers=bearer(alice)).status_code == 429
    assert client.post("/api/v1/draws/offline", json={}, headers=bearer(bob)).status_code == 400


def test_web_processes_share_their_counts_through_redis(make_settings, redis_db_url):
    from hub import create_app

    redis.Redis.from_url(redis_db_url).flushdb()
    one, two = (create_app(make_settings(broker_url=redis_db_url)).test_client() for _ in range(2))
    for n in range(10):
        assert (one if n % 2 else two).post("/api/v1/verify", json={}).status_code == 400
    assert one.post("/api/v1/verify", json={}).status_code == 429
    assert two.post("/api/v1/verify", json={}).status_code == 429


def test_a_large_verification_without_a_broker_is_refused_at_once(app):
    body = _large_verification()
    assert len(json.dumps(body)) > app.extensions["hub_settings"].security.verify_inline_bytes
    started = time.monotonic()
    resp = app.test_client().post("/api/v1/verify", json=body)
    assert resp.status_code == 413 and "hub verify" in resp.json["detail"]
    assert time.monotonic() - started < 1.0


def test_a_small_verification_is_answered_inline(app):
    from tests.draw import vectors

    def text(suffix: str) -> str:
        return vectors.path("v-public", suffix).read_text(encoding="utf-8")

    resp = app.test_client().post(
        "/api/v1/verify",
        json={"record": json.loads(text("record.json")), "roster": text("roster.tsv"), "pool": text("pool.tsv")},
    )
    assert resp.status_code == 200 and resp.json["verified"] is True


def test_a_large_verification_goes_to_a_worker_and_its_status_is_polled(make_settings, redis_db_url):
    from hub import create_app
    from hub.verification.services import run

    client_redis = redis.Redis.from_url(redis_db_url)
    client_redis.flushdb()
    app = create_app(make_settings(broker_url=redis_db_url))
    client = app.test_client()
    resp = client.post("/api/v1/verify", json=_large_verification())
    assert resp.status_code == 202
    status_url = resp.json["status_url"]
    assert resp.headers["Location"] == status_url
    assert client.get(status_url).json["state"] == "queued"
    queued = [json.loads(m) for m in client_redis.lrange("celery", 0, -1)]
    assert [m["headers"]["task"] for m in queued] == ["hub.run_verification"]
    job_id = queued[0]["headers"]["argsrepr"].strip("(),' ")
    with app.app_context():
        run(app.extensions["hub_db"], job_id)  # what `hub worker` does with the message
    done = client.get(status_url).json
    assert done["state"] == "done" and done["answer"] == {"verified": True, "problems": []}
    assert client.get("/api/v1/verifications/nope").status_code == 404


def test_behind_a_proxy_the_forwarded_address_is_limited_not_the_proxy(make_settings):
    from hub import create_app

    client = create_app(make_settings({"security": {"proxies": 1}})).test_client()
    for _ in range(10):
        assert client.post("/api/v1/verify", json={}, headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 400
    assert client.post("/api/v1/verify", json={}, headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    assert client.post("/api/v1/verify", json={}, headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 400
