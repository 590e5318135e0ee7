"""Logging in with Keystone (and a project chooser), the session cookie, logging out,
CSRF, and a user of another project not seeing a stack; ``--auth none``'s local user."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.ui.pages.forms import ALPHA, BETA, GAMMA, csrf_of, deploy, hot, log_in, none


def test_a_page_without_a_session_goes_to_the_login_form(secured: TestClient) -> None:
    answer = secured.get("/dashboard/stacks/x?tab=events", follow_redirects=False)
    assert answer.status_code == 303
    wanted = "/dashboard/login?next=%2Fdashboard%2Fstacks%2Fx%3Ftab%3Devents"
    assert answer.headers["location"] == wanted
    form = secured.get(answer.headers["location"])
    assert '<input id="password" name="password" type="password"' in form.text
    assert secured.get("/dashboard/stacks/x/topology.json").status_code == 401


def test_the_session_cookie_is_httponly_samesite_and_holds_no_token(secured: TestClient) -> None:
    form = secured.get("/dashboard/login")
    cookie = form.headers["set-cookie"]
    assert cookie.startswith("crossheat_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Path=/dashboard" in cookie
    answer = log_in(secured, "bob", "bob-pw")
    assert answer.status_code == 200
    # A new session after the login (no fixation); its value is an id and a signature.
    after = secured.cookies["crossheat_session"]
    assert after != form.cookies["crossheat_session"]
    assert len(after) < 100


def test_a_user_with_one_project_lands_on_the_stacks(secured: TestClient) -> None:
    answer = log_in(secured, "bob", "bob-pw")
    assert answer.url.path == "/dashboard/"
    assert '<span id="current-user">bob</span>' in answer.text
    assert ">beta</span>" in answer.text


def test_a_user_with_several_projects_chooses_one(secured: TestClient) -> None:
    chooser = log_in(secured, "alice", "alice-pw")
    assert chooser.url.path == "/dashboard/login/project"
    assert f'value="{ALPHA}"' in chooser.text and f'value="{GAMMA}"' in chooser.text
    # Not logged in until a project is chosen.
    assert secured.get("/dashboard/", follow_redirects=False).status_code == 303
    chosen = secured.post(
        "/dashboard/login/project", data={"project": GAMMA, "csrf_token": csrf_of(chooser.text)}
    )
    assert chosen.url.path == "/dashboard/"
    assert ">gamma</span>" in chosen.text
    assert '<span id="current-user">alice</span>' in chosen.text


def test_a_project_that_is_not_the_users_is_refused(secured: TestClient) -> None:
    chooser = log_in(secured, "alice", "alice-pw")
    refused = secured.post(
        "/dashboard/login/project", data={"project": BETA, "csrf_token": csrf_of(chooser.text)}
    )
    assert refused.status_code == 403
    assert "no role on that project" in refused.text
    assert secured.get("/dashboard/", follow_redirects=False).status_code == 303


def test_a_wrong_password_is_refused_beside_the_form(secured: TestClient) -> None:
    answer = log_in(secured, "bob", "not-bobs")
    assert answer.status_code == 401
    assert 'id="login-error"' in answer.text and "Invalid user name or password" in answer.text
    assert "not-bobs" not in answer.text
    assert secured.get("/dashboard/", follow_redirects=False).status_code == 303


def test_logging_out_ends_the_session(secured: TestClient) -> None:
    page = log_in(secured, "bob", "bob-pw")
    cookie = secured.cookies["crossheat_session"]
    out = secured.post(
        "/dashboard/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert (
        'crossheat_session=""' in out.headers["set-cookie"]
        or "Max-Age=0" in out.headers["set-cookie"]
    )
    # The old cookie, sent again, is no session any more.
    secured.cookies.clear()
    secured.cookies.set("crossheat_session", cookie)
    assert secured.get("/dashboard/", follow_redirects=False).status_code == 303


def test_a_forged_post_without_the_csrf_token_is_refused(secured: TestClient) -> None:
    log_in(secured, "bob", "bob-pw")
    stack_id = deploy(secured, "kept", hot({"a": none()}), project=BETA)
    forged = secured.post(f"/dashboard/stacks/{stack_id}/delete", data={})
    assert forged.status_code == 403
    wrong = secured.post(f"/dashboard/stacks/{stack_id}/delete", data={"csrf_token": "guess"})
    assert wrong.status_code == 403
    assert secured.post("/dashboard/logout", data={}).status_code == 403
    page = secured.get(f"/dashboard/stacks/{stack_id}")
    assert page.status_code == 200
    assert 'data-status="CREATE_COMPLETE"' in page.text
    # A login form posted from elsewhere (no session, no token) is refused too.
    secured.cookies.clear()
    assert (
        secured.post("/dashboard/login", data={"username": "bob", "password": "bob-pw"}).status_code
        == 403
    )


def test_a_stack_of_another_project_is_not_found(secured: TestClient) -> None:
    alphas = deploy(secured, "alpha-stack", hot({"a": none()}), project=ALPHA)
    log_in(secured, "bob", "bob-pw")
    listed = secured.get("/dashboard/")
    assert "alpha-stack" not in listed.text
    for path in ("", "/topology.json", "/stream", "/delete"):
        answer = secured.get(f"/dashboard/stacks/{alphas}{path}")
        assert answer.status_code == 404, path
    page = secured.get("/dashboard/")
    refused = secured.post(
        f"/dashboard/stacks/{alphas}/delete", data={"csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 404
    # alice, in alpha, sees it.
    secured.cookies.clear()
    log_in(secured, "alice", "alice-pw", project=ALPHA)
    assert secured.get(f"/dashboard/stacks/{alphas}").status_code == 200


def test_auth_none_logs_in_the_local_user_at_once(local: TestClient) -> None:
    page = local.get("/dashboard/")
    assert '<span id="current-user">local</span>' in page.text
    assert ">default</span>" in page.text
    # Forms still carry a CSRF token, and a post without it is refused.
    assert csrf_of(page.text)
    assert local.post("/dashboard/logout", data={}).status_code == 403


def test_a_browser_at_the_root_goes_to_the_dashboard_and_an_api_client_gets_versions(
    local: TestClient,
) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    answer = local.get("/", headers=browser, follow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["location"] == "/dashboard/"
    for accept in ("application/json", "*/*", ""):
        api = local.get("/", headers={"Accept": accept}, follow_redirects=False)
        assert api.status_code == 300, accept
        assert api.json()["versions"][0]["id"] == "v1.0"


def test_visitors_do_not_push_out_logged_in_users(secured: TestClient) -> None:
    log_in(secured, "bob", "bob-pw")
    sessions = secured.app.state.dashboard.sessions  # type: ignore[attr-defined]
    sessions.size = 5
    for _ in range(20):  # visitors at the login form, each with a session of its own
        sessions.new(visitor=True)
    assert '<span id="current-user">bob</span>' in secured.get("/dashboard/").text
