"""The API docs pages (Swagger UI and Redoc, from drf-spectacular-sidecar) load without a single CSP violation."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Every Content-Security-Policy violation of the page, as the browser reports it to the page itself.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def open_and_collect(page, path: str, ready_selector: str) -> tuple[list[str], list[str]]:
    console = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto(path)
    assert response is not None and response.status == 200
    # Redoc parses a 1 MB bundle and the whole schema: slow on a loaded machine.
    page.wait_for_selector(ready_selector, timeout=60_000)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__cspViolations"), console


@pytest.mark.parametrize(
    ("path", "ready_selector"),
    [
        ("/api/v1/docs/", ".swagger-ui .opblock"),
        # The sidebar's attribution line is where Redoc puts its CDN logo.
        ("/api/v1/redoc/", "text=API docs by Redocly"),
    ],
)
def test_api_docs_load_without_csp_violation(page, path, ready_selector):
    violations, console_errors = open_and_collect(page, path, ready_selector)
    assert violations == []
    assert [text for text in console_errors if "Content Security Policy" in text] == []
    # The page is our own: its icon comes from our static files, not from a CDN or the sidecar.
    assert page.locator("link[rel=icon]").first.get_attribute("href").endswith(("favicon.svg", "favicon.ico"))
