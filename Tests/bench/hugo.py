#!/usr/bin/env python3
"""Sportello's full build against Hugo's on the same pages (issue 16; README "Performance", "Against Hugo").

For each size (services), on the synthetic comune `sportello-bench build` measures (`sportello-bench comune
--folder`: the same configuration and the same bookings, holds and closures in SQLite):
 1. one `sportello build` (not timed) gives the availability of every week, the JSON files sportello publishes
    beside its week pages (docs/schema/week.schema.json) and each service's next.json;
 2. a Hugo site (Tests/bench/hugo-site: layouts ported from site-templates) gets one content file per page
    sportello publishes, its data as JSON front matter: the catalogue, each office page, each service page (with
    its next.json as a second output) and each week page (with its week JSON as a second output); the four fixed
    pages and the assets as static files. Texts come from the same i18n file, as a Hugo data file. Day labels and
    the week's heading are formatted here, once per day; every slot's time, state text, places and radio are
    formatted by Hugo's templates, as sportello's are by its own;
 3. timed, whole processes, `--runs` rounds alternating the two sides, medians:
    - cold: `sportello build` into an empty output/ (every page, its .gz and the JSON files); `hugo
      --cleanDestinationDir` into an empty folder; then, separately, a gzip pass over Hugo's output (two gzip
      processes at a time, level 6 as sportello's), since sportello always writes a .gz beside each file and has
      no option not to;
    - warm: both again over their own output (sportello compares and skips unchanged files; Hugo, without
      --cleanDestinationDir, rewrites every file, so the gzip pass compresses every file again too);
    - floor: `cp -r` of sportello's output (and of Hugo's with its .gz) onto an empty folder.
Every cold run and every floor writes into a folder of its own that did not exist, and nothing is deleted until
the last size is done: on a file system without a journal (this machine's ext4), creating a file right after
thousands were deleted costs a scan over every recently deleted inode (`recently_deleted`, up to 360 s after the
delete), so a run that follows an `rm -r` of the previous output measures the scan, not the build.
Prints both sides' files and MB by kind, the figures, the ratios and the machine's load beside them.

    Tests/bench/hugo [--services 100,1000] [--runs 3] [--weeks 13] [--keep]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKELETON = ROOT / "Tests" / "bench" / "hugo-site"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def machine_load(seconds: float = 1.0) -> str:
    """The share of all cores busy with other work while we wait, and the load average."""

    def sample() -> tuple[float, float]:
        with open("/proc/stat") as handle:
            fields = [float(x) for x in handle.readline().split()[1:]]
        return sum(fields) - fields[3] - fields[4], sum(fields)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    share = (busy1 - busy0) / (total1 - total0) if total1 > total0 else 0.0
    return f"other work on the machine: {share * 100:.0f}% of its cores, load average {os.getloadavg()[0]:.1f}"


def timed(command: list[str], **kwargs) -> tuple[float, float, float]:
    """Runs a command to its end: wall seconds, CPU seconds (user + system, its children included) and user CPU
    seconds (the program's own work, which the file system's state does not move)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"hugo bench: {' '.join(command)} failed:\n{result.stdout.decode(errors='replace')}")
    user = after.ru_utime - before.ru_utime
    return elapsed, user + (after.ru_stime - before.ru_stime), user


def gzip_pass(folder: Path) -> list[str]:
    """A .gz beside every file of Hugo's output, as sportello writes them: two gzip processes at a time."""
    return [
        "sh",
        "-c",
        'find "$1" -type f ! -name "*.gz" -print0 | xargs -0 -P2 -n 256 gzip -k -f -6',
        "gzip-pass",
        str(folder),
    ]


def kind_of(relative: str) -> str:
    """Which kind of published file a path is, to set the two sides' trees side by side."""
    name = relative[:-3] if relative.endswith(".gz") else relative
    if relative.endswith(".gz"):
        return ".gz copies"
    if name == "index.html":
        return "catalogue"
    if re.fullmatch(r"servizi/ufficio-\d+/index\.html", name):
        return "office pages"
    if re.fullmatch(r"servizi/[^/]+/index\.html", name):
        return "service pages"
    if re.fullmatch(r"servizi/[^/]+/\d{4}-W\d\d\.html", name):
        return "week pages"
    if re.fullmatch(r"servizi/[^/]+/\d{4}-W\d\d\.json", name):
        return "week JSON"
    if re.fullmatch(r"servizi/[^/]+/(next|index)\.json", name):
        return "next JSON"
    return "fixed pages, assets"


KINDS = [
    "catalogue",
    "office pages",
    "service pages",
    "week pages",
    "week JSON",
    "next JSON",
    "fixed pages, assets",
    ".gz copies",
]


def tree(folder: Path) -> dict[str, list[int]]:
    """Files and bytes per kind under a folder."""
    sizes: dict[str, list[int]] = {kind: [0, 0] for kind in KINDS}
    for path in folder.rglob("*"):
        if path.is_file():
            entry = sizes[kind_of(path.relative_to(folder).as_posix())]
            entry[0] += 1
            entry[1] += path.stat().st_size
    return sizes


class Texts:
    """The Italian texts of site-templates/i18n, with sportello's date formats."""

    def __init__(self, path: Path):
        self.t = json.loads(path.read_text())

    def long(self, day: datetime.date) -> str:
        t = self.t
        return (
            t["date"]["long"]
            .replace("{weekday}", t["weekday"][WEEKDAYS[day.weekday()]])
            .replace("{day}", str(day.day))
            .replace("{month}", t["month"][str(day.month)])
            .replace("{year}", str(day.year))
        )

    def short(self, day: datetime.date) -> str:
        t = self.t
        return (
            t["date"]["short"]
            .replace("{weekday}", t["weekdayShort"][WEEKDAYS[day.weekday()]])
            .replace("{day}", str(day.day))
            .replace("{month}", str(day.month))
        )

    def schedule(self, schedule: dict[str, list[str]]) -> list[dict[str, str]]:
        return [
            {"day": self.t["weekday"][day], "hours": ", ".join(r.replace("-", "–") for r in schedule[day])}
            for day in WEEKDAYS
            if schedule.get(day)
        ]

    def next_free(self, service_id: str, next_data: dict) -> dict[str, str] | None:
        if not next_data["slots"]:
            return None
        start = datetime.datetime.fromisoformat(next_data["slots"][0]["start"])
        year, week, _ = start.date().isocalendar()
        text = (
            self.t["service"]["nextFree"]
            .replace("{date}", self.long(start.date()))
            .replace("{time}", start.strftime("%H:%M"))
        )
        return {"url": f"/servizi/{service_id}/{year}-W{week:02d}.html#d-{start.date()}", "text": text}


def write_page(path: Path, front: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(front, ensure_ascii=False, separators=(",", ":")) + "\n")


def hugo_site(comune: Path, prepared: Path, site: Path) -> int:
    """Writes the Hugo site of the comune whose sportello output is `prepared`; returns its content files."""
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(SKELETON, site)
    texts = Texts(ROOT / "site-templates" / "i18n" / "it.json")
    t = texts.t
    (site / "data").mkdir()
    shutil.copy(ROOT / "site-templates" / "i18n" / "it.json", site / "data" / "t.json")
    static = site / "static"
    for relative in ["404.html", "accesso/index.html", "annulla/index.html", "operatori/index.html"]:
        (static / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(prepared / relative, static / relative)
    shutil.copytree(ROOT / "site-templates" / "assets", static / "assets")
    config = json.loads((comune / "sportello.json").read_text())
    hold_minutes = config.get("booking", {}).get("holdMinutes", 10)
    with open(site / "config.toml", "a") as handle:
        handle.write(f'holdMinutes = "{hold_minutes}"\n')
    content = site / "content"
    home = {"name": t["nav"]["home"], "url": "/"}
    pages = 0
    catalogue = []
    for office in config["services"]:
        office_url = f"/servizi/{office['id']}/"
        where = {
            "address": office["address"],
            "coordinates": {"lat": office["coordinates"]["lat"], "lon": office["coordinates"]["lon"]},
            "phone": office.get("phone"),
            "email": office.get("email"),
        }
        schedule = texts.schedule(office["schedule"])
        entries = []
        for service in office["children"]:
            sid = service["id"]
            folder = prepared / "servizi" / sid
            next_data = json.loads((folder / "next.json").read_text())
            next_free = texts.next_free(sid, next_data)
            entries.append(
                {"name": service["name"], "url": f"/servizi/{sid}/", "description": service["description"],
                 "next": next_free}
            )
            weeks = sorted(p.stem for p in folder.glob("*-W*.json"))
            minutes = service["slotMinutes"]
            duration = t["service"]["duration"].replace("{minutes}", str(minutes))
            pauses = office.get("pauses", [])
            facts = {
                "id": sid,
                "name": service["name"],
                "office": office["name"],
                "officeURL": office_url,
                "description": service["description"],
                "documents": service.get("documents", []),
                "duration": duration,
                "pauses": t["service"]["pauses"].replace("{ranges}", ", ".join(p.replace("-", "–") for p in pauses))
                if pauses
                else "",
                "noticeSeconds": str(office["window"]["minimumNoticeMinutes"] * 60),
            }
            write_page(
                content / "servizi" / f"{sid}.md",
                {
                    "title": service["name"],
                    "url": f"/servizi/{sid}/",
                    "layout": "service",
                    "outputs": ["html", "json"],
                    "service": facts,
                    "where": where,
                    "schedule": schedule,
                    "bookURL": f"/servizi/{sid}/{weeks[0]}.html",
                    "next": next_free,
                    "data": {k: next_data[k] for k in ("service", "slots", "until")},
                    "breadcrumb": [home, {"name": office["name"], "url": office_url},
                                   {"name": service["name"], "current": True}],
                },
            )
            pages += 1
            for index, week in enumerate(weeks):
                data = json.loads((folder / f"{week}.json").read_text())
                days = data["days"]
                initial = next((i for i, d in enumerate(days) if any(s["state"] == "free" for s in d["slots"])), None)
                if initial is None:
                    initial = next((i for i, d in enumerate(days) if d["slots"]), 0)
                for i, day in enumerate(days):
                    date = datetime.date.fromisoformat(day["date"])
                    day["label"] = texts.short(date)
                    day["long"] = texts.long(date)
                    day["initial"] = i == initial
                monday = datetime.date.fromisoformat(data["monday"])
                label = (
                    t["week"]["range"]
                    .replace("{from}", texts.long(monday))
                    .replace("{to}", texts.long(monday + datetime.timedelta(days=6)))
                )
                write_page(
                    content / "servizi" / sid / f"{week}.md",
                    {
                        "title": f"{service['name']} – " + t["week"]["title"].replace("{week}", week),
                        "layout": "week",
                        "outputs": ["html", "json"],
                        "service": dict(facts, data=data["service"]),
                        "week": week,
                        "monday": data["monday"],
                        "label": label,
                        "previous": f"/servizi/{sid}/{weeks[index - 1]}.html" if index > 0 else None,
                        "next": f"/servizi/{sid}/{weeks[index + 1]}.html" if index + 1 < len(weeks) else None,
                        "hasFree": any(s["state"] == "free" for d in days for s in d["slots"]),
                        "days": days,
                        "breadcrumb": [home, {"name": office["name"], "url": office_url},
                                       {"name": service["name"], "url": f"/servizi/{sid}/"},
                                       {"name": t["steps"]["when"], "current": True}],
                    },
                )
                pages += 1
        write_page(
            content / "servizi" / f"{office['id']}.md",
            {
                "title": office["name"],
                "url": office_url,
                "layout": "office",
                "outputs": ["html"],
                "services": entries,
                "where": where,
                "schedule": schedule,
                "breadcrumb": [home, {"name": office["name"], "current": True}],
            },
        )
        pages += 1
        catalogue.append({"name": office["name"], "url": office_url, "address": office["address"],
                          "services": entries})
    write_page(
        content / "_index.md",
        {
            "title": t["catalogue"]["title"],
            "outputs": ["html"],
            "offices": catalogue,
            "breadcrumb": [{"name": t["nav"]["home"], "current": True}],
        },
    )
    return pages + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", default="100,1000", help="comma-separated sizes")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=13)
    parser.add_argument("--keep", action="store_true", help="leave the folders behind (printed)")
    options = parser.parse_args()
    try:
        sizes = [int(x) for x in options.services.split(",")]
    except ValueError:
        sys.exit("hugo bench: --services wants whole numbers separated by commas")
    if options.runs < 1 or not all(1 <= n <= 10_000 for n in sizes) or not 1 <= options.weeks <= 104:
        sys.exit("hugo bench: --runs ≥ 1, --services 1…10000, --weeks 1…104")
    sportello = os.environ.get("SPORTELLO_BIN", str(ROOT / ".build" / "release" / "sportello"))
    bench = str(Path(sportello).with_name("sportello-bench"))
    for binary in (sportello, bench):
        if not os.access(binary, os.X_OK):
            sys.exit(f"hugo bench: {binary} is not an executable; build it (swift build -c release)")
    hugo = shutil.which("hugo")
    if hugo is None:
        sys.exit("hugo bench: hugo is not installed (apt-get install hugo)")
    version = subprocess.run([hugo, "version"], stdout=subprocess.PIPE, text=True).stdout.split()[1]
    print(
        f"hugo bench: whole processes, `{sportello} build` against Hugo {version}, {options.weeks} weeks, "
        f"{options.runs} rounds alternating (medians), {os.cpu_count()} cores, {machine_load()}"
    )
    results = []
    works = []
    for services in sizes:
        work = Path(tempfile.gettempdir()) / f"sportello-hugo-{os.getpid()}-{services}"
        shutil.rmtree(work, ignore_errors=True)
        works.append(work)
        comune = work / "comune"
        subprocess.run(
            [bench, "comune", "--services", str(services), "--weeks", str(options.weeks), "--folder", str(comune)],
            check=True, stdout=subprocess.DEVNULL,
        )
        build = [
            sportello, "build", "--config", str(comune / "sportello.json"), "--templates",
            str(ROOT / "site-templates"), "--database", str(comune / "sportello.sqlite"), "--output",
        ]
        prepared = work / "prepared"
        timed(build + [str(prepared)])
        site = work / "hugo-site"
        pages = hugo_site(comune, prepared, site)
        figures: dict[str, list[tuple[float, float, float]]] = {}

        def record(name: str, run: tuple[float, float, float]) -> None:
            figures.setdefault(name, []).append(run)

        def hugo_into(folder: Path) -> list[str]:
            return [hugo, "--source", str(site), "--destination", str(folder), "--quiet"]

        load = machine_load()
        for round_ in range(options.runs):
            # Folders that never existed (see the docstring: no delete just before a cold run).
            s_out, h_out = work / f"sportello-output-{round_}", work / f"hugo-output-{round_}"
            record("sportello cold", timed(build + [str(s_out)]))
            # Cold only: warm, it would delete the .gz copies the gzip pass made (not files of Hugo's build).
            record("hugo cold", timed(hugo_into(h_out) + ["--cleanDestinationDir"]))
            record("gzip pass cold", timed(gzip_pass(h_out)))
            for name, source in (("floor", s_out), ("hugo floor", h_out)):
                record(name, timed(["cp", "-r", str(source), str(work / f"{name.replace(' ', '-')}-{round_}")]))
        hugo_warm = hugo_into(h_out)
        for _ in range(options.runs):
            record("sportello warm", timed(build + [str(s_out)]))
            record("hugo warm", timed(hugo_warm))
            record("gzip pass warm", timed(gzip_pass(h_out)))
        load += "; after: " + machine_load()
        s_tree, h_tree = tree(s_out), tree(h_out)
        print(f"\n{services} services: {pages} pages on each side, and the 4 fixed pages (Hugo: static files) ({load})")
        print(f"{'':22}{'sportello files':>16}{'MB':>8}{'hugo files':>12}{'MB':>8}")
        for side in (s_tree, h_tree):
            side["all"] = [sum(v[0] for v in side.values()), sum(v[1] for v in side.values())]
        for kind in KINDS + ["all"]:
            s, h = s_tree[kind], h_tree[kind]
            print(f"{kind:22}{s[0]:>16}{s[1] / 1_048_576:>8.1f}{h[0]:>12}{h[1] / 1_048_576:>8.1f}")
        m = {name: tuple(statistics.median(run[i] for run in runs) for i in range(3))
             for name, runs in figures.items()}
        hugo_gz_cold = statistics.median(h[0] + g[0] for h, g in zip(figures["hugo cold"], figures["gzip pass cold"]))
        hugo_gz_cold_cpu = statistics.median(
            h[1] + g[1] for h, g in zip(figures["hugo cold"], figures["gzip pass cold"]))
        hugo_gz_warm = statistics.median(h[0] + g[0] for h, g in zip(figures["hugo warm"], figures["gzip pass warm"]))
        print(f"{'':34}{'wall ms':>9}{'CPU s':>8}{'user s':>8}{'pages/s':>9}")
        for name in ["sportello cold", "hugo cold", "gzip pass cold", "sportello warm", "hugo warm", "gzip pass warm",
                     "floor", "hugo floor"]:
            wall, cpu, user = m[name]
            rate = f"{pages / wall:>9.0f}" if "pass" not in name and "floor" not in name else ""
            label = {"floor": "floor: cp -r of sportello's output", "hugo floor": "floor: cp -r of Hugo's (+ .gz)"}
            print(f"{label.get(name, name):34}{wall * 1000:>9.0f}{cpu:>8.2f}{user:>8.2f}{rate}")
        sc, sw, fl = m["sportello cold"][0], m["sportello warm"][0], m["floor"][0]
        ratios = {
            "cold: Hugo / sportello": m["hugo cold"][0] / sc,
            "cold: (Hugo + gzip pass) / sportello": hugo_gz_cold / sc,
            "warm: Hugo / sportello": m["hugo warm"][0] / sw,
            "warm: (Hugo + gzip pass) / sportello": hugo_gz_warm / sw,
            "cold CPU: Hugo / sportello": m["hugo cold"][1] / m["sportello cold"][1],
            "cold CPU: (Hugo + gzip pass) / sportello": hugo_gz_cold_cpu / m["sportello cold"][1],
            "sportello cold / floor": sc / fl,
        }
        for name, value in ratios.items():
            print(f"{name:40}{value:>7.2f}×")
        results.append((services, ratios))
    for work in works:
        if options.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
