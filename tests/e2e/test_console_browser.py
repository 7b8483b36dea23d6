"""The web console in a real browser (issue 16): Debian's headless Chromium,
driven through chromedriver with python3-selenium, against a real daemon
with mock carriers (the `test` channel). Every screen end to end: log in,
send, find with filters and preview; cancel and reschedule; stop and
restart a broadcast; template statistics; archive, unarchive and delete
in the folders; support allows a blocked term and resends; another
subaccount's user sees none of it (in the page and at the API with its
cookie); a mutation without the CSRF token is refused; log out; too many
failed logins.

One daemon and one browser serve the whole module (the tests run in file
order and build on each other's data only where they say so). Every wait
is bounded (WebDriverWait, conftest.wait_for). A screenshot of each screen
goes to $SB_BUILDDIR/tests/e2e/console-shots/, and with SB_UPDATE_SHOTS=1
also to $SB_SRCDIR/docs/console/ (the pictures docs/console.md shows).

Needs chromium, chromium-driver and python3-selenium (scripts/setup-deps).
Without them the module is skipped, unless CI is set: then it fails.
"""
import datetime
import hashlib
import http.client
import json
import os
import re
import shutil
import urllib.parse

import pytest

from conftest import BUILDDIR, SRCDIR, Daemon, base_config, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
    HAVE_SELENIUM = True
except ImportError:
    HAVE_SELENIUM = False


def _missing():
    why = []
    if not HAVE_SELENIUM:
        why.append("python3-selenium")
    for path, pkg in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            why.append(f"{pkg} ({path})")
    return why


MISSING = _missing()
WHY_MISSING = ("the console browser test needs " + ", ".join(MISSING) +
               " (scripts/setup-deps installs them)")
# Skipped where they are missing, except in CI, where each test fails
# (the env fixture) and the rest of the suite still runs.
if MISSING and not os.environ.get("CI"):
    pytest.skip(WHY_MISSING, allow_module_level=True)

ACME_KEY = "test-key"
OTHER_KEY = "other-key"
NUM = "+5511999990001"
SHOTS = os.path.join(BUILDDIR, "tests", "e2e", "console-shots")
DOCS_SHOTS = os.path.join(SRCDIR, "docs", "console")


def sha256_key(key):
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def pw_hash(password, n=1024):
    """The config's format: scrypt:N:r:p:<salt hex>:<key hex>; N=1024 keeps logins fast."""
    salt = os.urandom(16)
    dk = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1,
                        maxmem=64 * 1024 * 1024, dklen=32)
    return f"scrypt:{n}:8:1:{salt.hex()}:{dk.hex()}"


PASSWORDS = {"ana": "ana-secret-1", "bob": "bob-secret-2", "sam": "sam-secret-3"}


# ---- the daemon and the browser -------------------------------------------

class Env:
    def __init__(self, d, driver):
        self.d = d
        self.driver = driver
        self.port = int(d.cfg["daemon"]["http_listen"].rsplit(":", 1)[1])
        self.base = d.http
        self.data = {}      # what one test leaves for a later one


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    if MISSING:
        pytest.fail(WHY_MISSING)
    tmp = tmp_path_factory.mktemp("console")
    cfg = base_config(
        str(tmp), free_port(),
        plugins={
            # Files inbound messages under acme; delivers in 20 ms.
            "fake": {"module": "test", "behaviour": "deliver", "receipt_after": "20ms",
                     "subaccount": "acme"},
            # Two messages a second: a broadcast of 16 runs for 8 s.
            "slow": {"module": "test", "behaviour": "deliver", "receipt_after": "20ms",
                     "rate": 2, "burst": 1},
        },
        chains={"default": [{"channel": "fake"}], "slow": [{"channel": "slow"}]},
        subaccounts={
            "acme": {"timezone": "UTC", "chains": ["default", "slow"], "default_country": "55",
                     "api_keys": [sha256_key(ACME_KEY)]},
            "other": {"timezone": "UTC", "chains": ["default"], "default_country": "55",
                      "api_keys": [sha256_key(OTHER_KEY)]},
        },
        filters={"content": {"module": "content_filter", "words": ["gratis"],
                             "links": "blocklist", "domains": ["bit.ly"]}})
    cfg["console"] = {
        "session_ttl": "8h",
        "www": os.path.join(SRCDIR, "www"),
        "users": {
            "ana": {"subaccount": "acme", "password_hash": pw_hash(PASSWORDS["ana"])},
            "bob": {"subaccount": "other", "password_hash": pw_hash(PASSWORDS["bob"])},
            "sam": {"role": "support", "password_hash": pw_hash(PASSWORDS["sam"])},
        },
    }
    d = Daemon(tmp, cfg)
    d.test_clock = False
    d.start()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
              "--disable-dev-shm-usage", "--lang=en-US"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = None
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
        driver.set_page_load_timeout(15)
        os.makedirs(SHOTS, exist_ok=True)
        e = Env(d, driver)
        yield e
        # No script error in the whole run (failed fetches are the API's
        # answers, which the page shows; they are not script errors).
        errors = [x for x in driver.get_log("browser")
                  if x["level"] == "SEVERE" and "Failed to load resource" not in x["message"]]
        assert not errors, errors
    finally:
        if driver is not None:
            driver.quit()
        rc = d.stop()
        assert rc in (0, None), f"daemon exited {rc}:\n{d.log()}"


# ---- helpers --------------------------------------------------------------

def api(e, method, path, body=None, key=None, cookie=None, csrf=None, sub=None):
    """(status, JSON, headers) of one request, with an API key or a cookie."""
    c = http.client.HTTPConnection("127.0.0.1", e.port, timeout=10)
    h = {}
    if key:
        h["Authorization"] = "Bearer " + key
    if cookie:
        h["Cookie"] = "sb_session=" + cookie
    if csrf:
        h["X-CSRF-Token"] = csrf
    if sub:
        h["X-Subaccount"] = sub
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    try:
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        raw = r.read()
        hdr = r.headers
    finally:
        c.close()
    try:
        j = json.loads(raw) if raw else None
    except ValueError:
        j = raw.decode(errors="replace")
    return r.status, j, hdr


def ok(e, method, path, body=None, key=ACME_KEY, want=(200, 202)):
    code, j, _ = api(e, method, path, body, key=key)
    assert code in want, (method, path, code, j)
    return j


def wait(e, pred, what, timeout=10, poll=0.05):
    """Until pred() is truthy (stale elements of a re-render count as not yet)."""
    def cond(_):
        try:
            return pred()
        except (StaleElementReferenceException, AssertionError):
            return False
    try:
        return WebDriverWait(e.driver, timeout, poll_frequency=poll).until(cond)
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; page:\n"
                             + e.driver.find_element(By.TAG_NAME, "body").text[:3000]) from None


def q(e, css):
    return e.driver.find_element(By.CSS_SELECTOR, css)


def qa(e, css):
    return e.driver.find_elements(By.CSS_SELECTOR, css)


def text(e, css):
    els = qa(e, css)
    return els[0].text if els else ""


def visible(e, css):
    els = qa(e, css)
    return els[0] if els and els[0].is_displayed() else None


def enabled(e, css):
    el = visible(e, css)
    return el if el is not None and el.is_enabled() else None


def click(e, css, what=None, timeout=10):
    el = wait(e, lambda: enabled(e, css), what or f"{css} to be clickable", timeout)
    el.click()
    return el


def fill(e, css, value):
    el = q(e, css)
    el.clear()
    el.send_keys(value)


def set_value(e, css, value):
    """For inputs a keyboard fills by locale (datetime-local, date)."""
    e.driver.execute_script(
        "const x = document.querySelector(arguments[0]); x.value = arguments[1];"
        "x.dispatchEvent(new Event('input', {bubbles: true}));"
        "x.dispatchEvent(new Event('change', {bubbles: true}));", css, value)


def go(e, hash_):
    e.driver.execute_script("location.hash = arguments[0]", hash_)


def local_in(hours):
    """A datetime-local value `hours` from now (the browser shares our TZ)."""
    return (datetime.datetime.now() + datetime.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def confirm(e, want_words):
    dlg = wait(e, lambda: visible(e, "#confirm"), "the confirmation dialog")
    body = q(e, "#confirm-body").text
    assert want_words in body, body
    # The safe answer has the focus.
    assert e.driver.switch_to.active_element == q(e, "#confirm-cancel")
    q(e, "#confirm-ok").click()
    wait(e, lambda: not dlg.is_displayed(), "the dialog to close")
    return body


def viewport(e, width, height, mobile=False):
    e.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def shot(e, name, width=1280, mobile=False):
    """Save the whole page (the viewport grown to its content) as name.png;
    a toast is hidden while it is taken, and the pointer is moved away."""
    drv = e.driver
    drv.execute_script("document.getElementById('flash').hidden = true")
    # The pointer where the last click left it would show a hover.
    drv.execute_cdp_cmd("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": 1, "y": 1})
    try:
        viewport(e, width, 800, mobile)
        height = drv.execute_script("return document.documentElement.scrollHeight")
        viewport(e, width, max(800, min(int(height), 3000)), mobile)
        path = os.path.join(SHOTS, name + ".png")
        assert drv.save_screenshot(path), path
        if os.environ.get("SB_UPDATE_SHOTS") == "1":
            os.makedirs(DOCS_SHOTS, exist_ok=True)
            shutil.copyfile(path, os.path.join(DOCS_SHOTS, name + ".png"))
    finally:
        drv.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        drv.execute_script("document.getElementById('flash').hidden = false")


def session_cookie(e):
    c = e.driver.get_cookie("sb_session")
    return c["value"] if c else None


def logout(e):
    if visible(e, "#logout"):
        click(e, "#logout")
        wait(e, lambda: visible(e, "#login-form"), "the login form after logging out")


def login(e, user):
    drv = e.driver
    if not drv.current_url.startswith(e.base + "/console/"):
        drv.get(e.base + "/console/")
    logout(e)
    wait(e, lambda: visible(e, "#login-user"), "the login form")
    fill(e, "#login-user", user)
    fill(e, "#login-password", PASSWORDS[user])
    q(e, "#login-submit").click()
    wait(e, lambda: text(e, "#who-user") == user and visible(e, "#who-user"),
         f"{user} to be logged in")
    cookie = session_cookie(e)
    assert cookie and len(cookie) == 64, cookie
    code, sess, _ = api(e, "GET", "/v1/session", cookie=cookie)
    assert code == 200 and sess["user"] == user, (code, sess)
    return cookie, sess["csrf"]


def search(e, **filters):
    """Fill the search form (field name to value; select by value) and submit."""
    for name in ("group", "status", "channel_type", "country"):
        Select(q(e, "#f-" + name.replace("_", "-"))).select_by_value(filters.get(name, ""))
    for name in ("broadcast", "to", "file_name", "template", "text"):
        fill(e, "#f-" + name.replace("_", "-"), filters.get(name, ""))
    for name in ("from", "until"):
        set_value(e, "#f-" + name, filters.get(name, ""))
    q(e, "#search-submit").click()


def row_ids(e, css="#messages-table tbody tr"):
    return [int(r.get_attribute("data-id")) for r in qa(e, css)]


def find_message(e, mid, what, timeout=10, **filters):
    """Search (again, until the message is there: its status may still move)."""
    def found():
        search(e, **filters)
        return wait(e, lambda: qa(e, "#total"), "the search answer") and mid in row_ids(e)
    wait(e, found, what, timeout, poll=0.25)
    return q(e, f'#messages-table tr[data-id="{mid}"]')


def message(e, mid, cookie):
    code, m, _ = api(e, "GET", f"/v1/messages/{mid}", cookie=cookie)
    assert code == 200, (code, m)
    return m


def send_from_console(e, to, txt, send_at=None):
    if not q(e, "#send-box").get_attribute("open"):
        q(e, "#send-box summary").click()
    fill(e, "#send-to", to)
    fill(e, "#send-text", txt)
    set_value(e, "#send-at", send_at or "")
    before = text(e, "#send-result")
    q(e, "#send-submit").click()
    res = wait(e, lambda: (lambda t: t != before and re.search(r"Sent: message (\d+)", t))(
        text(e, "#send-result")), "the console's send to be answered")
    return int(res.group(1))


# ---- the screens ----------------------------------------------------------

def test_login_send_find_and_preview(env):
    e = env
    drv = e.driver
    drv.get(e.base + "/")                       # redirected to the console
    wait(e, lambda: visible(e, "#login-form"), "the login form")
    assert drv.current_url.startswith(e.base + "/console/"), drv.current_url
    assert drv.switch_to.active_element == q(e, "#login-user")   # focus where typing starts
    for css in ("#login-user", "#login-password"):
        assert qa(e, f'label[for="{css[1:]}"]'), css              # every input labelled
    shot(e, "login")
    # A wrong password: the API's message.
    fill(e, "#login-user", "ana")
    fill(e, "#login-password", "not-her-password")
    q(e, "#login-submit").click()
    wait(e, lambda: "wrong user name or password" in text(e, "#login-error"),
         "the login error")
    cookie, csrf = login(e, "ana")
    e.data["ana"] = (cookie, csrf)
    assert text(e, "#who-role") == "user"
    assert not visible(e, "#nav-blocked") and not visible(e, "#sub-select")

    # Send from the console, find it by phone (national, with the country
    # code selector) and status group, open its preview.
    wait(e, lambda: visible(e, "#search-form"), "the messages screen")
    mid = send_from_console(e, NUM, "Hello from the console")
    e.data["ana_message"] = mid
    row = find_message(e, mid, "the sent message under group sent", group="sent",
                       country="55", to="11 99999-0001")
    assert row_ids(e) == [mid]
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    assert cells[1] == NUM and "delivered" in cells[3] and cells[6] == "sms", cells
    assert cells[5] != "—", "a delivered message shows its delivery time"
    assert text(e, "#total").startswith("1 message")
    # The same number in another group: nothing.
    search(e, group="failed", country="55", to="11 99999-0001")
    wait(e, lambda: "0 messages" in text(e, "#total"), "an empty answer")
    row = find_message(e, mid, "the message again", group="sent", to=NUM)
    # Keyboard: focus the row, Enter opens the preview.
    drv.execute_script("arguments[0].focus()", row)
    drv.switch_to.active_element.send_keys("\n")
    wait(e, lambda: text(e, "#preview-text") == "Hello from the console", "the preview")
    pv = text(e, "#preview")
    for words in (f"Message {mid}", NUM, "fake (sms)", "acme", "console:ana", "1 segment",
                  "GSM-7", "Step 0", "delivered"):
        assert words in pv, (words, pv)
    assert qa(e, "#preview-attempts li")
    assert not qa(e, "#msg-cancel") and not qa(e, "#msg-reschedule")  # delivered: neither
    shot(e, "messages")
    # At a phone's width nothing is wider than the screen: the preview
    # goes under the table, which scrolls in its own box.
    viewport(e, 390, 844, mobile=True)
    try:
        wait(e, lambda: e.driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"),
            "no horizontal overflow at 390 px")
        assert q(e, "#preview").location["y"] > q(e, "#results").location["y"]
    finally:
        e.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    shot(e, "messages-phone", width=390, mobile=True)
    # Escape closes the preview and gives the focus back to the row.
    drv.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(e, lambda: not visible(e, "#preview"), "the preview to close")
    assert drv.switch_to.active_element.get_attribute("data-id") == str(mid)


def test_schedule_reschedule_and_cancel(env):
    e = env
    cookie, _ = e.data["ana"]
    go(e, "#/messages")
    wait(e, lambda: visible(e, "#send-form") or visible(e, "#send-box"), "the messages screen")
    mid = send_from_console(e, "+5511999990002", "Later, maybe", send_at=local_in(2))
    m = message(e, mid, cookie)
    assert m["status"] == "scheduled", m
    find_message(e, mid, "the scheduled message", group="scheduled").click()
    wait(e, lambda: enabled(e, "#msg-reschedule") and enabled(e, "#msg-cancel"),
         "cancel and reschedule for a scheduled message")
    click(e, "#msg-reschedule")
    wait(e, lambda: visible(e, "#reschedule-at"), "the reschedule form")
    new_at = local_in(5)
    set_value(e, "#reschedule-at", new_at)
    fill(e, "#reschedule-text", "Later, for sure")
    click(e, "#reschedule-save")
    wait(e, lambda: message(e, mid, cookie)["text"] == "Later, for sure", "the new text")
    m = message(e, mid, cookie)
    got = datetime.datetime.fromisoformat(m["send_at"].replace("Z", "+00:00"))
    want = datetime.datetime.strptime(new_at, "%Y-%m-%dT%H:%M").astimezone()
    assert abs((got - want).total_seconds()) < 1, (m["send_at"], new_at)
    wait(e, lambda: text(e, "#preview-text") == "Later, for sure", "the preview to refresh")
    # Cancel, confirmed in the dialog.
    click(e, "#msg-cancel")
    confirm(e, "will not be sent")
    wait(e, lambda: message(e, mid, cookie)["status"] == "cancelled", "the cancel")
    wait(e, lambda: "cancelled" in text(e, "#preview") and not qa(e, "#msg-cancel"),
         "the preview to show it cancelled")


def test_broadcast_stop_and_restart(env):
    e = env
    to = ["+55119888800%02d" % i for i in range(16)]
    res = ok(e, "POST", "/v1/messages", {"to": to, "text": "Weekend sale", "chain": "slow"})
    bid = res["broadcast"]
    go(e, "#/broadcasts")
    link = wait(e, lambda: visible(e, f'#broadcasts-table tr[data-id="{bid}"] a'),
                "the broadcast in the list")
    wait(e, lambda: "/16" in text(e, f'#broadcasts-table tr[data-id="{bid}"]'),
         "its progress in the list")
    link.click()
    wait(e, lambda: "running" in text(e, "#bc-state"), "the broadcast running")
    assert not q(e, "#bc-restart").is_enabled()
    click(e, "#bc-stop")
    body = confirm(e, "not yet handed to a carrier; delivered ones stay delivered.")
    assert re.search(r"Stop cancels the \d+ messages? not yet", body), body
    # The page polls while it runs: it ends without a reload.
    wait(e, lambda: "finished" in text(e, "#bc-state") and "stopped" in text(e, "#bc-state"),
         "the stopped broadcast to finish", timeout=15)
    b = ok(e, "GET", f"/v1/broadcasts/{bid}?limit=100")
    cancelled, delivered = b["counts"]["cancelled"], b["counts"]["delivered"]
    assert cancelled > 0 and cancelled + delivered == 16, b["counts"]
    wait(e, lambda: f"cancelled {cancelled}" in text(e, "#bc-counts"), "the counts")
    assert len(qa(e, "#bc-failed tbody tr")) == cancelled
    assert len(qa(e, "#bc-successful tbody tr")) == delivered
    assert "broadcast stopped" in text(e, "#bc-failed")
    assert text(e, "#bc-delivered-pct") == "%.1f %%" % b["delivered_pct"]
    shot(e, "broadcasts")
    click(e, "#bc-restart")
    body = confirm(e, "who did not get it, as a new broadcast.")
    assert f"Restart sends again to the {cancelled} recipient" in body, body
    link = wait(e, lambda: visible(e, "#bc-restarted-by a"), "the restart's link")
    nb = int(link.text.lstrip("#"))
    assert ok(e, "GET", f"/v1/broadcasts/{nb}")["restart_of"] == bid
    link.click()
    wait(e, lambda: f"Broadcast #{nb}" in text(e, "h1"), "the new broadcast's page")
    wait(e, lambda: "finished" in text(e, "#bc-state")
         and f"delivered {cancelled}" in text(e, "#bc-counts"),
         "the restart to deliver", timeout=20)
    assert text(e, "#bc-delivered-pct") == "100.0 %"


def test_message_pages(env):
    """Keyset pages of the search: the broadcasts made more than a page."""
    e = env
    go(e, "#/messages")
    wait(e, lambda: visible(e, "#search-form"), "the messages screen")
    click(e, "#search-clear")
    wait(e, lambda: visible(e, "#next-page") and len(row_ids(e)) == 25, "a full first page")
    total = int(text(e, "#total").split()[0])
    first = row_ids(e)
    assert first == sorted(first, reverse=True) and total > 25, (total, first)
    click(e, "#next-page")
    wait(e, lambda: "page 2" in text(e, "#total"), "the second page")
    second = row_ids(e)
    assert len(second) == min(25, total - 25) and max(second) < min(first), (first, second)
    click(e, "#prev-page")
    wait(e, lambda: "page 1" in text(e, "#total") and row_ids(e) == first, "the first page again")


def test_templates_statistics(env):
    e = env
    ok(e, "PUT", "/v1/templates/welcome", {"text": "Welcome, {{name}}!"})
    r = ok(e, "POST", "/v1/messages", {
        "to": "+5511999990003", "template": {"name": "welcome", "variables": {"name": "Ana"}}})
    mid = r["messages"][0]["id"]
    e.d.wait_status(mid, "delivered")
    go(e, "#/templates")
    row = '#stats-table tr[data-template="welcome"]'
    wait(e, lambda: visible(e, row), "the template's row")
    cells = [c.text for c in q(e, row).find_elements(By.CSS_SELECTOR, "th, td")]
    assert cells == ["welcome", "1", "1", "0", "0", "0", "100.0 %"], cells
    # The chart: a bar per row, with a text alternative.
    chart = q(e, "#stats-chart")
    assert chart.get_attribute("role") == "img"
    desc = q(e, "#stats-chart desc").get_attribute("textContent")
    assert "welcome: 1 triggered, 1 delivered" in desc, desc
    assert len(qa(e, "#stats-chart rect")) >= 2
    shot(e, "templates")
    # By channel type: sms has it, whatsapp has nothing.
    Select(q(e, "#st-channel-type")).select_by_value("whatsapp")
    q(e, "#stats-submit").click()
    wait(e, lambda: "No message" in text(e, "#stats"), "no whatsapp message")
    Select(q(e, "#st-channel-type")).select_by_value("sms")
    q(e, "#stats-submit").click()
    wait(e, lambda: visible(e, row), "the template's row for sms")


def inbound(e, txt, pid):
    form = urllib.parse.urlencode({"inbound": 1, "from": NUM, "to": "+15550001",
                                   "text": txt, "id": pid})
    c = http.client.HTTPConnection("127.0.0.1", e.port, timeout=10)
    try:
        c.request("POST", "/hooks/fake", body=form,
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert c.getresponse().status == 200
    finally:
        c.close()


def test_folders_archive_unarchive_delete(env):
    e = env
    inbound(e, "Olá, quero saber do pedido", "wamid.c1")
    inbox = ok(e, "GET", "/v1/folders/inbox")["items"]
    iid = inbox[0]["id"]
    go(e, "#/folders/inbox")
    row = f'#folder-table tr[data-id="{iid}"]'
    wait(e, lambda: visible(e, row), "the inbound message in the inbox")
    count = lambda n: text(e, f'.count[data-folder="{n}"]')  # noqa: E731
    wait(e, lambda: count("inbox") == "1" and count("archived") == "0", "the folder counts")
    assert "Olá, quero saber do pedido" in text(e, row)
    shot(e, "folders")

    def archive():
        click(e, f"#archive-{iid}")
        wait(e, lambda: not qa(e, row) and count("archived") == "1", "the archive")
        click(e, "#folder-archived")
        wait(e, lambda: visible(e, row) and "inbox" in text(e, row), "it in archived")
    archive()
    click(e, f"#unarchive-{iid}")
    wait(e, lambda: not qa(e, row) and count("inbox") == "1", "the unarchive")
    click(e, "#folder-inbox")
    wait(e, lambda: visible(e, row), "it back in the inbox")
    archive()
    click(e, f"#delete-{iid}")
    confirm(e, "deleted for good")
    wait(e, lambda: not qa(e, row) and count("archived") == "0", "the delete")
    code, j, _ = api(e, "POST", f"/v1/inbound/{iid}/unarchive", key=ACME_KEY)
    assert code == 404, (code, j)
    # Text from a contact is text, never markup.
    markup = 'see <img src=x onerror="window.pwned=1"><b>this</b>'
    inbound(e, markup, "wamid.c2")
    go(e, "#/folders/inbox")        # from archived, where the delete left us
    wait(e, lambda: markup in text(e, "#folder-table"), "the markup shown as text")
    assert not qa(e, "#folder-table img, #folder-table b")
    assert e.driver.execute_script("return window.pwned") is None
    # Schedules: edit the text and the time of a scheduled message.
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=3))
    r = ok(e, "POST", "/v1/messages", {"to": NUM, "text": "See you soon",
                                       "send_at": later.isoformat(timespec="seconds")})
    sid = r["messages"][0]["id"]
    go(e, "#/folders/schedules")
    click(e, f"#edit-{sid}")
    wait(e, lambda: visible(e, "#reschedule-text"), "the schedule's form")
    fill(e, "#reschedule-text", "See you tomorrow")
    set_value(e, "#reschedule-at", local_in(24))
    click(e, "#reschedule-save")
    wait(e, lambda: "See you tomorrow" in text(e, f'#folder-table tr[data-id="{sid}"]'),
         "the edited schedule")
    m = ok(e, "GET", f"/v1/messages/{sid}")
    assert m["status"] == "scheduled" and m["text"] == "See you tomorrow", m


def test_support_allows_a_blocked_term_and_resends(env):
    e = env
    r = ok(e, "POST", "/v1/messages", {"to": "+5511999990004", "text": "Frete gratis hoje"})
    old = r["messages"][0]["id"]
    assert e.d.wait_status(old, "rejected")["reason"] == "filter 'content': word 'gratis'"
    r = ok(e, "POST", "/v1/messages", {"to": "+5511999990005", "text": "veja https://bit.ly/abc"})
    link = r["messages"][0]["id"]
    assert "link 'bit.ly'" in e.d.wait_status(link, "rejected")["reason"]
    cookie, csrf = login(e, "sam")
    assert text(e, "#who-role") == "support"
    sel = Select(q(e, "#sub-select"))
    assert [o.text for o in sel.options] == ["acme", "other"]
    sel.select_by_value("acme")
    click(e, '#nav-blocked a')
    row = f'#rejected-table tr[data-id="{old}"]'
    wait(e, lambda: visible(e, row), "the rejected message")
    assert "word 'gratis'" in text(e, row)
    # A link's reason fills in its domain.
    click(e, f"#allow-{link}")
    assert Select(q(e, "#allow-kind")).first_selected_option.get_attribute("value") == "domain"
    assert q(e, "#allow-value").get_attribute("value") == "bit.ly"
    click(e, f"#allow-{old}")
    assert Select(q(e, "#allow-kind")).first_selected_option.get_attribute("value") == "term"
    assert q(e, "#allow-value").get_attribute("value") == "gratis"
    assert e.driver.switch_to.active_element == q(e, "#allow-value")
    click(e, "#allow-submit")
    wait(e, lambda: "Allowed term 'gratis' for acme" in text(e, "#allow-after"), "the allow")
    wait(e, lambda: visible(e, '#allowlist-table tr[data-value="gratis"]'), "the allowlist")
    code, al, _ = api(e, "GET", "/v1/allowlist", cookie=cookie, sub="acme")
    assert code == 200, (code, al)
    assert [(x["kind"], x["value"]) for x in al["entries"]] == [("term", "gratis")], al
    click(e, "#allow-resend")
    item = wait(e, lambda: visible(e, f'#resend-log li[data-resend-of="{old}"]'), "the resend")
    new = int(item.get_attribute("data-id"))
    assert new != old
    wait(e, lambda: "delivered" in text(e, f'#resend-log li[data-id="{new}"]'),
         "the resent message delivered")
    m = ok(e, "GET", f"/v1/messages/{new}")
    assert m["resend_of"] == old and m["status"] == "delivered" and m["text"] == "Frete gratis hoje"
    shot(e, "blocked")
    # Revoke: the entry goes, and the word blocks again.
    click(e, '#allowlist-table tr[data-value="gratis"] button')
    wait(e, lambda: "Nothing allowed" in text(e, "#allowlist"), "the revoke")
    code, al, _ = api(e, "GET", "/v1/allowlist", cookie=cookie, sub="acme")
    assert code == 200 and al["entries"] == [], al
    r = ok(e, "POST", "/v1/messages", {"to": "+5511999990004", "text": "gratis again"})
    e.d.wait_status(r["messages"][0]["id"], "rejected")
    # A support session names its subaccount; without X-Subaccount: 400.
    code, j, _ = api(e, "GET", "/v1/search", cookie=cookie)
    assert code == 400 and "X-Subaccount" in j["error"]["message"], (code, j)
    # In the other subaccount, nothing of acme's.
    Select(q(e, "#sub-select")).select_by_value("other")
    wait(e, lambda: "No rejected message" in text(e, "#rejected"), "other's empty list")


def test_another_subaccount_sees_nothing_of_acme(env):
    e = env
    mid = e.data["ana_message"]
    cookie, csrf = login(e, "bob")
    assert text(e, "#sub-fixed") == "other" and not visible(e, "#nav-blocked")
    go(e, "#/messages")
    wait(e, lambda: visible(e, "#search-form"), "bob's messages screen")
    search(e)
    wait(e, lambda: "0 messages" in text(e, "#total"), "bob's empty search")
    go(e, f"#/messages/{mid}")
    wait(e, lambda: "not_found" in text(e, "#preview") or "no such" in text(e, "#preview").lower()
         or "not found" in text(e, "#preview").lower(), "ana's message refused to bob")
    go(e, "#/folders/sent")
    wait(e, lambda: "This folder is empty" in text(e, "#folder-items"), "bob's empty folder")
    go(e, "#/blocked")
    wait(e, lambda: "for the support role" in text(e, "main"), "blocked refused to a user")
    # At the API with bob's cookie.
    code, j, _ = api(e, "GET", f"/v1/messages/{mid}", cookie=cookie)
    assert code == 404 and j["error"]["code"] == "not_found", (code, j)
    code, j, _ = api(e, "GET", "/v1/search?to=%2B5511999990001", cookie=cookie)
    assert code == 200 and j["messages"] == [], j
    code, j, _ = api(e, "GET", "/v1/search", cookie=cookie, sub="acme")
    assert code == 403 and j["error"]["code"] == "forbidden", (code, j)
    code, j, _ = api(e, "GET", "/v1/allowlist", cookie=cookie)
    assert code == 403, (code, j)
    e.data["bob"] = (cookie, csrf)


def test_csrf_and_logout(env):
    e = env
    cookie, csrf = e.data["bob"]
    body = {"to": NUM, "text": "no token"}
    code, j, _ = api(e, "POST", "/v1/messages", body, cookie=cookie)
    assert code == 403 and j["error"] == {"code": "forbidden",
                                          "message": "missing or wrong CSRF token"}, j
    code, j, _ = api(e, "POST", "/v1/messages", body, cookie=cookie, csrf="0" * 64)
    assert code == 403, (code, j)
    code, j, _ = api(e, "GET", "/v1/search?text=no%20token", cookie=cookie)
    assert j["messages"] == [], "nothing was stored"
    code, j, _ = api(e, "POST", "/v1/messages", body, cookie=cookie, csrf=csrf)
    assert code == 202, (code, j)
    # Log out in the page: the cookie no longer opens anything.
    click(e, "#logout")
    wait(e, lambda: visible(e, "#login-form"), "the login form")
    assert session_cookie(e) is None
    code, j, _ = api(e, "GET", "/v1/session", cookie=cookie)
    assert code == 401, (code, j)
    code, j, _ = api(e, "GET", "/v1/search", cookie=cookie)
    assert code == 401, (code, j)
    # The page asks the session at load: logged out, it shows the login.
    e.driver.get(e.base + "/console/#/messages")
    wait(e, lambda: visible(e, "#login-form"), "the login form after a reload")


def test_too_many_failed_logins(env):
    """Last: it spends the address's allowance of failed checks."""
    e = env

    def exhaust():
        for _ in range(30):
            code, j, hdr = api(e, "POST", "/v1/session", {"user": "ana", "password": "guess"})
            if code == 429:
                return j, hdr
            assert code == 401, (code, j)
        raise AssertionError("no 429 after 30 failed logins")

    j, hdr = exhaust()
    assert j["error"]["code"] == "rate_limited" and int(hdr["Retry-After"]) >= 1, (j, dict(hdr))
    drv = e.driver
    drv.get(e.base + "/console/")
    wait(e, lambda: visible(e, "#login-user"), "the login form")
    fill(e, "#login-user", "ana")
    # The allowance refills at one a second: on a slow machine the page's
    # try may come after a refill and be checked (a wrong password) instead.
    for _ in range(5):
        fill(e, "#login-password", PASSWORDS["ana"] + "-not")
        exhaust()
        q(e, "#login-submit").click()
        msg = wait(e, lambda: visible(e, "#login-error") and enabled(e, "#login-submit")
                   and text(e, "#login-error"), "the login's answer")
        if re.fullmatch(r"too many attempts, retry in \d+s", msg):
            break
        assert msg == "wrong user name or password", msg
    assert re.fullmatch(r"too many attempts, retry in \d+s", msg), msg
