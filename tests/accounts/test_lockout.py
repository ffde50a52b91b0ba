"""Login lockout: per username and client address, and per username over every address.

Each attack is run against both logins, the REST one and the admin's.
"""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from ..factories import PASSWORD, LibrarianFactory, UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"
PER_ADDRESS = 5
PER_USERNAME = 20


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = PER_ADDRESS
    settings.AXES_USERNAME_FAILURE_LIMIT = PER_USERNAME
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.TRUSTED_PROXY_COUNT = 0


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


class RestLogin:
    name = "rest"

    def attempt(self, username, password, **meta):
        response = APIClient().post(
            "/auth/login/", {"username": username, "password": password}, format="json", **meta
        )
        if response.status_code == 200:
            return "ok"
        if response.status_code == 429:
            assert response.json()["code"] == "locked_out"
            return "locked"
        assert response.status_code == 400
        return "refused"


class AdminLogin:
    name = "admin"

    def attempt(self, username, password, **meta):
        response = Client().post(
            reverse("admin:login"), {"username": username, "password": password}, **meta
        )
        if response.status_code == 302:
            return "ok"
        if response.status_code == 429:
            assert "Account locked" in response.content.decode()
            return "locked"
        assert response.status_code == 200
        return "refused"


@pytest.fixture(params=[RestLogin, AdminLogin], ids=lambda login: login.name)
def login(request):
    return request.param()


@pytest.fixture
def account(db):
    # Staff, so that a good password also opens the admin.
    return LibrarianFactory(username="victim")


def from_address(address):
    return {"REMOTE_ADDR": address}


def via_proxy(forwarded_for):
    # What the proxy sends on: its own address, and the client's appended to the header.
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded_for}


# --- (a) Guesses spread over many addresses ----------------------------------------------------


def test_guesses_from_many_addresses_stop_at_the_username_limit(login, account):
    # 8 addresses, 4 guesses each: never 5 from one address.
    outcomes = [
        login.attempt("victim", f"guess-{n}", **from_address(f"198.51.100.{n % 8 + 1}"))
        for n in range(32)
    ]

    assert outcomes[: PER_USERNAME - 1] == ["refused"] * (PER_USERNAME - 1)
    assert set(outcomes[PER_USERNAME - 1 :]) == {"locked"}
    # The account is locked for everyone now, the right password included.
    assert login.attempt("victim", PASSWORD, **from_address("203.0.113.50")) == "locked"
    assert not AuthToken.objects.exists()


def test_guesses_from_many_forwarded_addresses_stop_at_the_username_limit(
    login, account, behind_one_proxy
):
    outcomes = [
        login.attempt("victim", f"guess-{n}", **via_proxy(f"198.51.100.{n % 8 + 1}"))
        for n in range(24)
    ]

    assert outcomes[: PER_USERNAME - 1] == ["refused"] * (PER_USERNAME - 1)
    assert set(outcomes[PER_USERNAME - 1 :]) == {"locked"}
    assert login.attempt("victim", PASSWORD, **via_proxy("203.0.113.50")) == "locked"


def test_changing_the_case_of_the_username_does_not_buy_more_guesses(login, account):
    names = ["victim", "Victim", "VICTIM", "vIctim", "victiM"]

    outcomes = [login.attempt(name, "wrong", **from_address("198.51.100.1")) for name in names]

    assert outcomes == ["refused"] * 4 + ["locked"]
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"victim"}


# --- (b) Behind the proxy, one locked address does not lock everyone ---------------------------


def test_a_locked_address_behind_the_proxy_leaves_other_clients_alone(
    login, account, behind_one_proxy
):
    attacker = [login.attempt("victim", "wrong", **via_proxy("198.51.100.7")) for _ in range(5)]

    assert attacker == ["refused"] * 4 + ["locked"]
    assert login.attempt("victim", PASSWORD, **via_proxy("198.51.100.7")) == "locked"
    assert login.attempt("victim", PASSWORD, **via_proxy("203.0.113.5")) == "ok"


def test_a_client_cannot_pose_as_another_through_the_header(login, account, behind_one_proxy):
    # The attacker writes the victim's address into X-Forwarded-For; the proxy appends the
    # attacker's real one, which is what counts.
    spoofed = via_proxy("203.0.113.5, 198.51.100.7")
    attacker = [login.attempt("victim", "wrong", **spoofed) for _ in range(5)]

    assert attacker[-1] == "locked"
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    assert login.attempt("victim", PASSWORD, **via_proxy("203.0.113.5")) == "ok"


def test_a_locked_address_cannot_hammer_the_account_into_a_lockout_for_everyone(
    login, account, behind_one_proxy
):
    outcomes = [login.attempt("victim", "wrong", **via_proxy("198.51.100.7")) for _ in range(40)]

    assert outcomes.count("refused") == PER_ADDRESS - 1
    # Refused attempts are not counted: one address adds at most its own limit.
    assert AccessAttempt.objects.get().failures_since_start == PER_ADDRESS
    assert login.attempt("victim", PASSWORD, **via_proxy("203.0.113.5")) == "ok"


# --- (c) No proxy configured: the header is the client's word, and ignored ----------------------


def test_forwarded_for_is_ignored_without_a_trusted_proxy(login, account):
    outcomes = [
        login.attempt(
            "victim", "wrong", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
        )
        for n in range(1, 6)
    ]

    assert outcomes == ["refused"] * 4 + ["locked"]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_a_request_that_skipped_the_proxies_is_known_by_its_socket_address(
    login, account, settings
):
    settings.TRUSTED_PROXY_COUNT = 2  # the header must hold two entries written by proxies

    login.attempt("victim", "wrong", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


def test_two_proxies_name_the_client_the_outer_one_saw(login, account, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    # client-written, then the client as the CDN saw it, then the CDN as our proxy saw it
    meta = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.7, 192.0.2.10"}

    login.attempt("victim", "wrong", **meta)

    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"


# --- When it lifts, said in words ---------------------------------------------------------------


def test_the_rest_lockout_says_when_in_words_and_in_retry_after(settings, account):
    settings.TIME_ZONE = "Europe/London"
    client = APIClient()
    with time_machine.travel("2026-07-01 13:00:00+00:00", tick=False):
        for _ in range(PER_ADDRESS):
            response = client.post(
                "/auth/login/", {"username": "victim", "password": "wrong"}, format="json"
            )

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert response.json() == {
        "detail": (
            "Too many failed login attempts: this account is locked. You can try again "
            "in about 15 minutes (at 14:15), or ask a librarian to unlock it."
        ),
        "code": "locked_out",
    }


def test_the_admin_lockout_page_says_when_in_words(settings, account):
    settings.TIME_ZONE = "Europe/London"
    browser = Client()
    with time_machine.travel("2026-07-01 13:00:00+00:00", tick=False) as traveller:
        for _ in range(PER_ADDRESS):
            browser.post(reverse("admin:login"), {"username": "victim", "password": "wrong"})
        traveller.shift(timedelta(minutes=5))
        response = browser.post(reverse("admin:login"), {"username": "victim", "password": "x"})

    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    html = response.content.decode()
    assert "You can try again in about 10 minutes (at 14:15)" in html
    assert "PT" not in html  # no ISO 8601 duration


def test_a_username_wide_lockout_lifts_as_its_oldest_failures_age(login, account):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        # minutes 0, 1 and 2: five failures from each of three addresses
        for address in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]:
            for _ in range(PER_ADDRESS):
                login.attempt("victim", "wrong", **from_address(address))
            traveller.shift(timedelta(minutes=1))
        for _ in range(PER_ADDRESS):
            login.attempt("victim", "wrong", **from_address("198.51.100.4"))  # minute 3: 20
        traveller.shift(timedelta(minutes=1))

        assert login.attempt("victim", PASSWORD, **from_address("203.0.113.9")) == "locked"
        retry = APIClient().post(
            "/auth/login/",
            {"username": "victim", "password": PASSWORD},
            format="json",
            REMOTE_ADDR="203.0.113.9",
        )
        # The first address's five stop counting 15 minutes after they were made (minute 0);
        # it is minute 4 now.
        assert retry["Retry-After"] == str(11 * 60)

        traveller.shift(timedelta(minutes=11, seconds=1))
        assert login.attempt("victim", PASSWORD, **from_address("203.0.113.9")) == "ok"


def test_a_good_login_clears_only_its_own_address(login, account):
    for _ in range(4):
        login.attempt("victim", "wrong", **from_address("198.51.100.1"))
        login.attempt("victim", "wrong", **from_address("198.51.100.2"))

    assert login.attempt("victim", PASSWORD, **from_address("198.51.100.1")) == "ok"

    # Guesses from elsewhere still count towards the username-wide limit.
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.2"]


def test_unknown_usernames_lock_the_same_way(login):
    outcomes = [login.attempt("nobody", "wrong", **from_address("198.51.100.1")) for _ in range(5)]

    assert outcomes == ["refused"] * 4 + ["locked"]


# --- Lifting a lockout in the admin -----------------------------------------------------------


def attempt_for(username, address="198.51.100.1"):
    return AccessAttempt.objects.create(
        username=username,
        ip_address=address,
        user_agent="test",
        http_accept="*/*",
        path_info="/auth/login/",
        get_data="",
        post_data="",
        failures_since_start=5,
        attempt_time=timezone.now(),
    )


@pytest.fixture
def librarian_web(librarian):
    client = Client()
    client.force_login(librarian)
    return client


@pytest.fixture
def superuser_web(db):
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_librarians_lift_a_patrons_lockout(librarian_web, patron):
    attempt = attempt_for(patron.username)

    response = librarian_web.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize("whose", ["librarian", "superuser", "old-record-in-other-case"])
def test_librarians_may_not_lift_a_staff_lockout(librarian_web, librarian, whose):
    if whose == "librarian":
        username = LibrarianFactory().username
    elif whose == "superuser":
        username = UserFactory(username="root", is_staff=True, is_superuser=True).username
    else:
        username = librarian.username.upper()
    attempt = attempt_for(username)
    url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])

    assert librarian_web.get(url).status_code == 403
    assert librarian_web.post(url, {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_librarians_may_not_lift_staff_lockouts_in_bulk(librarian_web, patron):
    staff = attempt_for(LibrarianFactory().username)
    mine = attempt_for(patron.username)
    changelist = reverse("admin:axes_accessattempt_changelist")

    for action in ("delete_selected", "lift_lockouts"):
        response = librarian_web.post(
            changelist,
            {"action": action, "_selected_action": [staff.pk, mine.pk], "post": "yes"},
        )
        assert response.status_code == 403, action

    assert AccessAttempt.objects.count() == 2


def test_lifting_a_lockout_clears_every_address_of_the_username(librarian_web, patron):
    first = attempt_for(patron.username, "198.51.100.1")
    attempt_for(patron.username, "198.51.100.2")
    other = attempt_for("someone-else")

    response = librarian_web.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "lift_lockouts", "_selected_action": [first.pk]},
    )

    assert response.status_code == 302
    assert list(AccessAttempt.objects.all()) == [other]


def test_administrators_lift_staff_lockouts(superuser_web, librarian):
    attempt = attempt_for(librarian.username)

    response = superuser_web.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
