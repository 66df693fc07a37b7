"""The task page's commit and reveal forms: a party acts only as itself through the web too."""

from __future__ import annotations

from hub.draw import jdp
from hub.results.history import RESULTS_HISTORY
from hub.tasks import services as lifecycle
from hub.tasks.models import JointTask, TaskParty

from .scenario import add_rosters, task_spec


def test_only_the_agency_s_own_liaison_commits_and_reveals_through_the_page(  # type: ignore[no-untyped-def]
    db, settings, client, sign_in, post_form
):
    add_rosters(db)
    lifecycle.create_task(db, settings, task_spec("JT-2026-0110"), "t")
    secret = lifecycle.new_secret()
    commitment = jdp.commitment("HEALTH", secret, "sha256")
    sign_in("samr-liaison", "liaison", agency="SAMR")
    page = client.get("/tasks/JT-2026-0110").get_data(as_text=True)
    assert 'id="commit-form-SAMR"' in page and 'id="commit-form-HEALTH"' not in page
    refused = post_form("/tasks/JT-2026-0110/commit", party="HEALTH", commitment=commitment)
    assert "cannot act for HEALTH" in client.get(refused.headers["Location"]).get_data(as_text=True)
    hub = post_form("/tasks/JT-2026-0110/commit", party="hub", commitment=commitment)
    assert "committed already" in client.get(hub.headers["Location"]).get_data(as_text=True)
    post_form("/logout")
    sign_in("health-liaison", "liaison", agency="HEALTH")
    post_form("/tasks/JT-2026-0110/commit", party="HEALTH", commitment=commitment)
    with db.unit_of_work() as s:
        row = s.get(TaskParty, ("JT-2026-0110", "HEALTH"))
        assert (row.commitment, row.committed_by) == (commitment, "health-liaison")
    samr = lifecycle.new_secret()
    lifecycle.commit(db, "JT-2026-0110", "SAMR", jdp.commitment("SAMR", samr, "sha256"), "samr-liaison")
    lifecycle.freeze(db, settings, "JT-2026-0110", "t", history=RESULTS_HISTORY)
    page = client.get("/tasks/JT-2026-0110").get_data(as_text=True)
    assert 'id="reveal-form-HEALTH"' in page and "JDP-2" in page
    post_form("/tasks/JT-2026-0110/reveal", party="HEALTH", secret_hex=secret)
    refused = post_form("/tasks/JT-2026-0110/reveal", party="SAMR", secret_hex=samr)
    assert "cannot act for SAMR" in client.get(refused.headers["Location"]).get_data(as_text=True)
    with db.unit_of_work() as s:
        assert s.get(TaskParty, ("JT-2026-0110", "HEALTH")).secret_hex == secret
        assert s.get(TaskParty, ("JT-2026-0110", "SAMR")).secret_hex is None
        assert s.get(JointTask, "JT-2026-0110").state == "frozen"
