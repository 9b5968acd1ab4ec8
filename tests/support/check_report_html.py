#!/usr/bin/python3
"""Checks that an HTML report page is well formed and self-contained.

Usage: check_report_html.py PAGE.html [SVG_ID ...]

Checks, with Python's own html.parser:
  - every element is closed in order (void elements excepted; a self-closing "/>" counts as
    closed), nothing is left open at the end, and the document has exactly one html, head,
    body and title element;
  - exactly one <script type="application/json" id="pipecut-report-data"> block, whose text
    parses as JSON with "format": "pipecut.report";
  - every SVG_ID given names an <svg> element;
  - no resource is loaded from elsewhere: no src/href/srcset/poster/action/data/xlink:href
    attribute other than a fragment ("#...") or an inline data: URI, no CSS url(...) or
    @import other than those, no http(s) address in an inline script, no <link>, <iframe>, <object>, <embed>, <img>, <base> element,
    and no "http:" or "https:" in any such place. Namespace declarations (xmlns) are not
    resources and are allowed.
Prints one line per problem and exits 1 if there is any, else prints "ok" and exits 0.
"""
import json
import re
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr"}
RESOURCE_ATTRIBUTES = {"src", "href", "xlink:href", "srcset", "poster", "action", "formaction",
                       "data", "background", "longdesc", "manifest", "ping", "cite"}
FORBIDDEN_ELEMENTS = {"link", "iframe", "object", "embed", "img", "base", "frame", "audio",
                      "video", "source"}
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)|@import\s+['\"]?([^'\";\s]*)", re.I)


def local_reference(value):
    value = value.strip()
    return value.startswith("#") or value.lower().startswith("data:")


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.problems = []
        self.counts = {}
        self.svg_ids = set()
        self.json_blocks = []
        self.in_json = False
        self.in_style = False
        self.in_code = False
        self.json_text = []

    def problem(self, message):
        line, column = self.getpos()
        self.problems.append(f"line {line}:{column}: {message}")

    def check_css(self, css):
        for match in CSS_URL.finditer(css):
            target = match.group(1) if match.group(1) is not None else match.group(2)
            if not local_reference(target or ""):
                self.problem(f"CSS references an outside resource: {match.group(0)!r}")

    def check_attributes(self, tag, attrs):
        for name, value in attrs:
            name = name.lower()
            value = value or ""
            if name in RESOURCE_ATTRIBUTES and not local_reference(value):
                self.problem(f"<{tag} {name}={value!r}> references an outside resource")
            if name == "style":
                self.check_css(value)
            if name.startswith("on") and re.search(r"https?:", value, re.I):
                self.problem(f"<{tag} {name}> mentions an outside address")

    def handle_starttag(self, tag, attrs):
        if tag == "title" and "svg" in self.stack:
            tag_key = "svg title"  # tooltips of SVG shapes, not the document title
        else:
            tag_key = tag
        self.counts[tag_key] = self.counts.get(tag_key, 0) + 1
        if tag in FORBIDDEN_ELEMENTS:
            self.problem(f"<{tag}> element would load or embed a resource")
        self.check_attributes(tag, attrs)
        attributes = dict(attrs)
        if tag == "svg" and attributes.get("id"):
            self.svg_ids.add(attributes["id"])
        if tag == "script":
            if "src" in attributes:
                self.problem("<script src> loads an outside script")
            if attributes.get("type") == "application/json":
                self.in_json = True
                self.json_text = []
                self.json_blocks.append(attributes.get("id"))
        if tag == "style":
            self.in_style = True
        if tag == "script" and not self.in_json:
            self.in_code = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag in FORBIDDEN_ELEMENTS:
            self.problem(f"<{tag}> element would load or embed a resource")
        self.check_attributes(tag, attrs)
        if tag == "svg" and dict(attrs).get("id"):
            self.svg_ids.add(dict(attrs)["id"])

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack:
            self.problem(f"</{tag}> closes nothing")
            return
        if self.stack[-1] != tag:
            self.problem(f"</{tag}> closes <{self.stack[-1]}>")
            if tag in self.stack:  # resynchronise to limit follow-on noise
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "script" and self.in_json:
            self.in_json = False
            self.json_payload = "".join(self.json_text)
        if tag == "style":
            self.in_style = False
        if tag == "script":
            self.in_code = False

    def handle_data(self, data):
        if self.in_json:
            self.json_text.append(data)
        if self.in_style:
            self.check_css(data)
        if self.in_code and re.search(r"https?:", data, re.I):
            self.problem("an inline script mentions an http(s) address it could load")


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        page = f.read()
    checker = Checker()
    checker.feed(page)
    checker.close()
    problems = checker.problems
    if checker.stack:
        problems.append("left open at the end: " + " ".join(f"<{t}>" for t in checker.stack))
    if not page.lstrip().lower().startswith("<!doctype html>"):
        problems.append("no <!DOCTYPE html>")
    for tag in ("html", "head", "body", "title"):
        if checker.counts.get(tag, 0) != 1:
            problems.append(f"{checker.counts.get(tag, 0)} <{tag}> elements, expected 1")
    if checker.json_blocks != ["pipecut-report-data"]:
        problems.append(f"JSON data blocks {checker.json_blocks}, expected one with id "
                        "pipecut-report-data")
    else:
        try:
            data = json.loads(checker.json_payload)
            if data.get("format") != "pipecut.report":
                problems.append("embedded JSON is not format pipecut.report")
        except (ValueError, AttributeError) as e:
            problems.append(f"embedded JSON does not parse: {e}")
    for svg_id in sys.argv[2:]:
        if svg_id not in checker.svg_ids:
            problems.append(f"no <svg id={svg_id!r}>")
    for p in problems:
        print(p)
    if problems:
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
