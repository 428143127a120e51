"""axe-core (vendored, see vendor/README.md) run in the page: the accessibility rules a
person with a screen reader, a keyboard or low vision depends on.

axe is given to the page as an init script (``BrowserContext.add_init_script``), not as a
``<script>`` tag (``Page.add_script_tag``): the console's Content-Security-Policy allows
only scripts with its nonce, so an added tag is refused unless the context turns the
policy off (``bypass_csp=True``). Init scripts go in through the DevTools protocol, which
the policy does not govern; so axe runs while the page's policy stays in force, and it
judges the page as visitors get it (a style the policy blocked is missing here too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = frozenset({"serious", "critical"})

RUN = """
async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map((rule) => ({
    rule: rule.id,
    impact: rule.impact,
    help: rule.help,
    nodes: rule.nodes.map((node) => node.target.join(" ")),
  }));
}
"""


def equip(context: BrowserContext) -> None:
    """Every page of ``context`` gets axe (as ``window.axe``) before its own scripts."""
    context.add_init_script(path=AXE)


def blocking_violations(page: Page) -> list[dict[str, Any]]:
    """The violations of impact serious or critical on the page as it is now, each with
    its rule, help text and the elements at fault."""
    found: list[dict[str, Any]] = page.evaluate(RUN)
    return [violation for violation in found if violation["impact"] in BLOCKING]
