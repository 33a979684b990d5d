"""Apache Superset against lakeshore-server, driven in a real browser (Debian's chromium through
chromium-driver and selenium), the way a Superset user works:

1. sets Superset up afresh (a SQLite metadata database in a temporary folder, an admin user)
   and starts it on a free port;
2. through Superset's REST API: adds the lake as a database (flightsql-dbapi's
   `datafusion://HOST:PORT?insecure=true`), a dataset of gold.aggregated_sales, a bar chart of
   its sales by quarter and a dashboard holding the chart;
3. in the browser: logs in, browses the lake's schemas and gold's tables in SQL Lab, runs a query
   and reads the result grid, then opens the dashboard and reads the data its chart drew.

Every answer the browser shows is compared with what the server answers to the same question
through the dialect directly. Usage: superset_browser.py HOST:PORT [SCREENSHOT_DIR]
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import requests
import sqlalchemy as sa
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ADMIN = ("admin", "lakeshore-admin-password")
# Generous: a debug server and Superset share two busy cores; each wait ends as soon as its
# element appears.
PAGE_WAIT_S = 120
# Without the background-networking flags chromium stalls on this machine's closed network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
]
QUERY = "SELECT year, quarter, total_sales_usd FROM gold.aggregated_sales ORDER BY year, quarter"


def check(what, seen, expected):
    if seen != expected:
        sys.exit(f"{what}: got {seen!r}, expected {expected!r}")
    print(f"ok: {what}", flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Superset:
    """A Superset of its own: config, metadata database and web server in `home`."""

    def __init__(self, home: Path):
        self.home = home
        config = home / "superset_config.py"
        config.write_text(
            f"SECRET_KEY = {os.urandom(24).hex()!r}\n"
            f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{home / 'superset.db'}'\n"
            # The REST calls below carry a bearer token, not a browser session's CSRF token.
            "WTF_CSRF_ENABLED = False\n"
        )
        self.env = dict(
            os.environ,
            SUPERSET_CONFIG_PATH=str(config),
            SUPERSET_HOME=str(home),
            FLASK_APP="superset",
        )
        self.command = [str(Path(sys.executable).parent / "superset")]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def run(self, *args):
        started = time.monotonic()
        done = subprocess.run(
            self.command + list(args), env=self.env, capture_output=True, text=True
        )
        if done.returncode != 0:
            sys.exit(f"superset {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        print(f"superset {args[0]}: {time.monotonic() - started:.1f} s", flush=True)

    def set_up(self):
        self.run("db", "upgrade")
        user, password = ADMIN
        self.run(
            "fab", "create-admin", "--username", user, "--password", password,
            "--firstname", "Ada", "--lastname", "Admin", "--email", "admin@example.com",
        )
        self.run("init")

    def start(self):
        self.log = open(self.home / "superset.log", "w")
        self.process = subprocess.Popen(
            self.command + ["run", "-h", "127.0.0.1", "-p", str(self.port), "--with-threads"],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + PAGE_WAIT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"superset run stopped:\n{(self.home / 'superset.log').read_text()}")
            try:
                if requests.get(self.url + "/health", timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        sys.exit("superset run did not answer /health in time")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.log.close()


class SupersetApi:
    """Superset's REST API, logged in as the admin."""

    def __init__(self, url):
        self.url = url
        self.session = requests.Session()
        user, password = ADMIN
        login = {"username": user, "password": password, "provider": "db", "refresh": True}
        token = self.call("post", "/api/v1/security/login", login)["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method, path, body=None):
        response = self.session.request(method, self.url + path, json=body, timeout=120)
        if not response.ok:
            sys.exit(f"{method.upper()} {path}: {response.status_code} {response.text[:2000]}")
        return response.json()

    def add_lake(self, uri):
        body = {"database_name": "lakeshore", "sqlalchemy_uri": uri}
        self.call("post", "/api/v1/database/test_connection/", body)
        return self.call("post", "/api/v1/database/", dict(body, expose_in_sqllab=True))["id"]

    def add_dashboard(self, database):
        dataset = self.call(
            "post",
            "/api/v1/dataset/",
            {"database": database, "schema": "gold", "table_name": "aggregated_sales"},
        )["id"]
        params = {
            "datasource": f"{dataset}__table",
            "viz_type": "echarts_timeseries_bar",
            "x_axis": "quarter",
            "groupby": ["year"],
            "metrics": [
                {
                    "expressionType": "SIMPLE",
                    "column": {"column_name": "total_sales_usd"},
                    "aggregate": "SUM",
                    "label": "sales (USD)",
                }
            ],
            "adhoc_filters": [],
            "row_limit": 1000,
            "x_axis_title": "quarter",
            "show_legend": True,
        }
        chart = self.call(
            "post",
            "/api/v1/chart/",
            {
                "slice_name": "Sales by quarter",
                "viz_type": "echarts_timeseries_bar",
                "datasource_id": dataset,
                "datasource_type": "table",
                "params": json.dumps(params),
            },
        )["id"]
        layout = {
            "DASHBOARD_VERSION_KEY": "v2",
            "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
            "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": ["ROW-1"], "parents": ["ROOT_ID"]},
            "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": "Electroniz sales"}},
            "ROW-1": {
                "type": "ROW", "id": "ROW-1", "children": ["CHART-1"],
                "parents": ["ROOT_ID", "GRID_ID"], "meta": {"background": "BACKGROUND_TRANSPARENT"},
            },
            "CHART-1": {
                "type": "CHART", "id": "CHART-1", "children": [],
                "parents": ["ROOT_ID", "GRID_ID", "ROW-1"],
                "meta": {"chartId": chart, "width": 8, "height": 60, "sliceName": "Sales by quarter"},
            },
        }
        dashboard = self.call(
            "post",
            "/api/v1/dashboard/",
            {"dashboard_title": "Electroniz sales", "published": True, "position_json": json.dumps(layout)},
        )["id"]
        self.call("put", f"/api/v1/chart/{chart}", {"dashboards": [dashboard]})
        return dashboard


def browser(profile: Path):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    # The network log lets the test read the data the dashboard's chart was drawn from.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def visible(driver, xpath):
    return WebDriverWait(driver, PAGE_WAIT_S).until(
        EC.element_to_be_clickable((By.XPATH, xpath))
    )


def log_in(driver, url):
    driver.get(url + "/login/")
    user, password = ADMIN
    visible(driver, "//button[@type='submit']")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, PAGE_WAIT_S).until(lambda d: "/login" not in d.current_url)


def tree_labels(driver):
    """The names in SQL Lab's schema and table tree, in order."""
    nodes = driver.find_elements(
        By.CSS_SELECTOR, "[data-test=sql-editor-left-bar] [role=treeitem] .tree-node-title"
    )
    return [node.text.strip() for node in nodes if node.text.strip()]


def result_grid(driver):
    """SQL Lab's result grid as rows of strings, by row index (the grid is virtualised)."""
    rows = driver.find_elements(By.CSS_SELECTOR, ".ag-center-cols-container [role=row]")
    by_index = {}
    for row in rows:
        cells = row.find_elements(By.CSS_SELECTOR, "[role=gridcell]")
        by_index[int(row.get_attribute("row-index"))] = {
            cell.get_attribute("col-id"): cell.text for cell in cells
        }
    return [by_index[index] for index in sorted(by_index)]


def sql_lab(driver, url, inspector, expected_rows, screenshots):
    driver.get(url + "/sqllab/")
    # A first visit opens on an empty tab bar: "Add a new tab" gives an editor.
    visible(driver, "//*[text()='Add a new tab']").click()
    schemas = [s for s in inspector.get_schema_names()]
    visible(driver, f"//*[@data-test='sql-editor-left-bar']//*[text()='{schemas[-1]}']")
    check("SQL Lab lists the lake's schemas", tree_labels(driver), sorted(schemas))

    visible(driver, "//*[@data-test='sql-editor-left-bar']//*[text()='gold']").click()
    gold = sorted(inspector.get_table_names(schema="gold"))
    visible(driver, f"//*[@data-test='sql-editor-left-bar']//*[text()='{gold[-1]}']")
    labels = tree_labels(driver)
    start = labels.index("gold") + 1
    check("SQL Lab lists gold's tables", labels[start : start + len(gold)], gold)

    driver.find_element(By.CSS_SELECTOR, ".ace_content").click()
    editor = driver.find_element(By.CSS_SELECTOR, "textarea.ace_text-input")
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(QUERY)
    driver.find_element(By.CSS_SELECTOR, "[data-test=run-query-action]").click()
    WebDriverWait(driver, PAGE_WAIT_S).until(
        lambda d: len(result_grid(d)) == len(expected_rows)
    )
    grid = [
        (int(row["year"]), int(row["quarter"]), Decimal(row["total_sales_usd"]))
        for row in result_grid(driver)
    ]
    check("SQL Lab's result grid holds the server's rows", grid, expected_rows)
    if screenshots:
        driver.save_screenshot(str(screenshots / "superset-sql-lab.png"))


def chart_data_responses(driver):
    """The bodies of the /api/v1/chart/data responses the page received so far."""
    bodies = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.responseReceived":
            continue
        if "/api/v1/chart/data" not in message["params"]["response"]["url"]:
            continue
        request = message["params"]["requestId"]
        body = driver.execute_cdp_cmd("Network.getResponseBody", {"requestId": request})
        bodies.append(json.loads(body["body"]))
    return bodies


def dashboard(driver, url, dashboard_id, expected_rows, screenshots):
    driver.get(f"{url}/superset/dashboard/{dashboard_id}/")
    WebDriverWait(driver, PAGE_WAIT_S).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-test=chart-container] canvas")
    )
    errors = driver.find_elements(
        By.CSS_SELECTOR, "[data-test=chart-container] [role=alert], .ant-alert-error"
    )
    check("the chart shows no error", [error.text for error in errors], [])
    # The bar chart pivots the sum per (quarter, year) into one row per quarter, a column per
    # year: the bars drawn are those values.
    responses = WebDriverWait(driver, PAGE_WAIT_S).until(chart_data_responses)
    drawn = responses[-1]["result"][0]["data"]
    bars = sorted(
        (row["quarter"], year, Decimal(str(value)))
        for row in drawn
        for year, value in row.items()
        if year != "quarter"
    )
    expected = sorted((quarter, str(year), total) for year, quarter, total in expected_rows)
    check("the dashboard's bars are the server's sums by quarter and year", bars, expected)
    if screenshots:
        # Let the chart's entry animation finish before the picture.
        time.sleep(2)
        driver.save_screenshot(str(screenshots / "superset-dashboard.png"))


def report_failure(driver, superset, screenshots):
    """What a failure leaves to read: the page, the text it showed, Superset's last log lines."""
    print(f"the page at the failure: {driver.current_url}", file=sys.stderr)
    try:
        shown = driver.find_element(By.TAG_NAME, "body").text
    except WebDriverException as error:
        shown = f"(the page could not be read: {error.msg})"
    print(f"what the page showed:\n{shown[:3000]}", file=sys.stderr)
    log = (superset.home / "superset.log").read_text(errors="replace").splitlines()
    print("Superset's log, last lines:\n" + "\n".join(log[-60:]), file=sys.stderr)
    if screenshots:
        driver.save_screenshot(str(screenshots / "superset-failure.png"))


def main():
    flight_address = sys.argv[1]
    screenshots = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    host, port = flight_address.rsplit(":", 1)
    uri = f"datafusion://{host}:{port}?insecure=true"
    lake = sa.create_engine(uri)
    with lake.connect() as conn:
        expected_rows = [tuple(row) for row in conn.execute(sa.text(QUERY))]
    inspector = sa.inspect(lake)

    with tempfile.TemporaryDirectory() as home:
        superset = Superset(Path(home))
        superset.set_up()
        superset.start()
        try:
            api = SupersetApi(superset.url)
            database = api.add_lake(uri)
            dashboard_id = api.add_dashboard(database)
            driver = browser(Path(home) / "chromium")
            try:
                log_in(driver, superset.url)
                sql_lab(driver, superset.url, inspector, expected_rows, screenshots)
                dashboard(driver, superset.url, dashboard_id, expected_rows, screenshots)
            except BaseException:
                report_failure(driver, superset, screenshots)
                raise
            finally:
                driver.quit()
        finally:
            superset.stop()


if __name__ == "__main__":
    main()
