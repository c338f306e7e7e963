#!/usr/bin/env python3
"""Checks publiccode.yml against the required keys and allowed values of the publiccode.yml standard v0.4
(with the Italian extension), offline: what the Developers Italia catalogue would refuse fails here first."""
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]

CATEGORIES = {
    "accounting", "agile-project-management", "applicant-tracking", "application-development", "appointment-scheduling",
    "backup", "billing-and-invoicing", "blog", "budgeting", "business-intelligence", "business-process-management",
    "cad", "call-center-management", "cloud-management", "collaboration", "communications", "compliance-management",
    "contact-management", "content-management", "crm", "customer-service-and-support", "data-analytics",
    "data-collection", "data-visualization", "digital-asset-management", "digital-citizenship", "document-management",
    "donor-management", "e-commerce", "e-signature", "email-management", "email-marketing", "employee-management",
    "enterprise-project-management", "enterprise-social-networking", "erp", "event-management", "facility-management",
    "feedback-and-reviews-management", "financial-reporting", "fleet-management", "fund-accounting", "gamification",
    "geographic-information-systems", "grant-management", "graphic-design", "help-desk", "hr", "ide",
    "identity-management", "instant-messaging", "inventory-management", "it-asset-management", "it-development",
    "it-management", "it-security", "it-service-management", "knowledge-management", "learning-management-system",
    "marketing", "mind-mapping", "mobile-marketing", "mobile-payment", "network-management", "office",
    "online-booking", "online-community", "payment-management", "payroll", "predictive-analysis", "procurement",
    "productivity-suite", "project-collaboration", "project-management", "property-management", "real-estate-management",
    "remote-support", "resource-management", "sales-management", "seo", "service-desk", "social-media-management",
    "survey", "talent-management", "task-management", "taxes-management", "test-management", "time-management",
    "time-tracking", "translation", "video-conferencing", "video-editing", "visitor-management", "voip",
    "warehouse-management", "web-collaboration", "web-conferencing", "website-builder", "whistleblowing",
    "workflow-management",
}
DEVELOPMENT_STATUS = {"concept", "development", "beta", "stable", "obsolete"}
SOFTWARE_TYPES = {"standalone/mobile", "standalone/iot", "standalone/desktop", "standalone/web", "standalone/backend",
                  "standalone/other", "addon", "library", "configurationFiles"}
MAINTENANCE_TYPES = {"internal", "contract", "community", "none"}


def check(document: dict) -> list[str]:
    problems: list[str] = []

    def require(path: str, kind: type) -> object:
        value: object = document
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                problems.append(f"{path}: required, missing")
                return None
            value = value[part]
        if not isinstance(value, kind):
            problems.append(f"{path}: expected {kind.__name__}, found {type(value).__name__}")
            return None
        return value

    if require("publiccodeYmlVersion", str) not in ("0.4", "0.4.0"):
        problems.append("publiccodeYmlVersion: must be \"0.4\"")
    require("name", str)
    url = require("url", str)
    if url and not re.match(r"^https?://", url):
        problems.append("url: must be the repository's http(s) address")
    if "softwareVersion" in document and not re.match(r"^\d{4}-\d{2}-\d{2}$", str(document.get("releaseDate", ""))):
        problems.append("releaseDate: required (YYYY-MM-DD) with softwareVersion")
    platforms = require("platforms", list) or []
    if not platforms:
        problems.append("platforms: list at least one")
    for category in require("categories", list) or []:
        if category not in CATEGORIES:
            problems.append(f"categories: \"{category}\" is not a category of the standard")
    if require("developmentStatus", str) not in DEVELOPMENT_STATUS:
        problems.append(f"developmentStatus: one of {sorted(DEVELOPMENT_STATUS)}")
    if require("softwareType", str) not in SOFTWARE_TYPES:
        problems.append(f"softwareType: one of {sorted(SOFTWARE_TYPES)}")

    descriptions = require("description", dict) or {}
    for language in ("it", "en"):
        if language not in descriptions:
            problems.append(f"description.{language}: required by this project (Italian and English)")
    for language, description in descriptions.items():
        where = f"description.{language}"
        if not isinstance(description, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        short = description.get("shortDescription")
        if not isinstance(short, str) or not short.strip() or len(short) > 150:
            problems.append(f"{where}.shortDescription: required, at most 150 characters")
        long = description.get("longDescription")
        if not isinstance(long, str) or not 150 <= len(long) <= 10000:
            problems.append(f"{where}.longDescription: required, 150 to 10000 characters")
        features = description.get("features")
        if not isinstance(features, list) or not features:
            problems.append(f"{where}.features: required, a list")
        else:
            for feature in features:
                if not isinstance(feature, str) or len(feature) > 100:
                    problems.append(f"{where}.features: \"{feature}\" is over 100 characters")
        if "genericName" in description and len(str(description["genericName"])) > 35:
            problems.append(f"{where}.genericName: at most 35 characters")

    license = require("legal.license", str)
    if license and not (ROOT / "LICENSES" / f"{license}.txt").exists():
        problems.append(f"legal.license: {license} has no text in LICENSES/")
    maintenance_type = require("maintenance.type", str)
    if maintenance_type not in MAINTENANCE_TYPES:
        problems.append(f"maintenance.type: one of {sorted(MAINTENANCE_TYPES)}")
    if maintenance_type in ("internal", "community"):
        contacts = require("maintenance.contacts", list) or []
        if not contacts or not all(isinstance(c, dict) and c.get("name") for c in contacts):
            problems.append("maintenance.contacts: at least one, each with a name")
    if maintenance_type == "contract":
        require("maintenance.contractors", list)
    if not isinstance(require("localisation.localisationReady", bool), bool):
        pass
    languages = require("localisation.availableLanguages", list) or []
    if not languages:
        problems.append("localisation.availableLanguages: list at least one")

    italian = document.get("it")
    if italian is not None and str(italian.get("countryExtensionVersion")) not in ("0.2", "1.0"):
        problems.append("it.countryExtensionVersion: \"1.0\"")

    # The version published must be the program's.
    version = (ROOT / "VERSION").read_text().strip()
    if str(document.get("softwareVersion", version)) != version:
        problems.append(f"softwareVersion: {document.get('softwareVersion')} is not the VERSION file's {version}")
    return problems


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "publiccode.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    problems = check(document) if isinstance(document, dict) else ["the file is not a YAML mapping"]
    for problem in problems:
        print(f"{path.name}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{path.name}: ok (publiccode.yml v0.4, {len(document['description'])} languages)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
