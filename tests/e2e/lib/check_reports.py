#!/usr/bin/python3
"""check_reports.py - read report files with real parsers of their formats.

usage: check_reports.py FILE...   (the kind is taken from the extension)

  .json  Python's json module, refusing NaN/Infinity (not JSON), and every
         number must read back from its own text to the same double
  .html  html5lib (the WHATWG HTML5 parsing algorithm) in strict mode:
         any parse error fails; inline SVG must be foreign content
  .xml   xml.etree (expat), and the root must be JUnit: <testsuites>
         whose tests/failures/errors/skipped equal what its cases show
  .md    every GitHub table row has as many cells as its header

Prints one "ok FILE" / "FAIL FILE: why" line per file; exit 1 on any failure.
Run with Debian's /usr/bin/python3, which has python3-html5lib.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET


def no_constants(name):
    raise ValueError("not JSON: %s" % name)


def check_json(path):
    text = open(path, encoding="utf-8").read()
    json.loads(text, parse_constant=no_constants)
    for m in re.finditer(r'(?<=[:\[,\s])-?\d+(\.\d+)?([eE][-+]?\d+)?(?=[,\]}\s])', text):
        s = m.group(0)
        if "." in s or "e" in s or "E" in s:
            v = float(s)
            if v in (float("inf"), float("-inf")):
                raise ValueError("%s reads back as infinity" % s)
            if len(re.sub(r"[-.]|[eE].*$", "", s).lstrip("0")) > 17:
                raise ValueError("%s has more than 17 significant digits" % s)


def check_html(path):
    import html5lib

    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    with open(path, "rb") as f:
        doc = parser.parse(f)
    svgs = doc.findall(".//{http://www.w3.org/2000/svg}svg")
    if "<svg" in open(path, encoding="utf-8").read() and not svgs:
        raise ValueError("inline SVG not parsed as SVG")


def check_xml(path):
    root = ET.parse(path).getroot()
    if root.tag != "testsuites":
        raise ValueError("root is <%s>, not <testsuites>" % root.tag)
    tot = dict(tests=0, failures=0, errors=0, skipped=0)
    for suite in root.iter("testsuite"):
        got = dict(tests=0, failures=0, errors=0, skipped=0)
        for case in suite.iter("testcase"):
            got["tests"] += 1
            for kind, key in (("error", "errors"), ("failure", "failures"), ("skipped", "skipped")):
                if case.find(kind) is not None:
                    got[key] += 1
                    break
        for k, v in got.items():
            if int(suite.get(k, "0")) != v:
                raise ValueError("suite %r says %s=%s, its cases show %d" % (suite.get("name"), k, suite.get(k), v))
            tot[k] += v
    for k, v in tot.items():
        if int(root.get(k, "0")) != v:
            raise ValueError("<testsuites> says %s=%s, its cases show %d" % (k, root.get(k), v))


def cells(line):
    # Split a GitHub table row on unescaped pipes outside code spans.
    out, cur, code, i = [], "", False, 0
    s = line.strip()
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur += s[i : i + 2]
            i += 2
            continue
        if c == "`":
            code = not code
        if c == "|" and not code:
            out.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    out.append(cur)
    if s.startswith("|"):
        out = out[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        out = out[:-1]
    return out


def check_md(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    tables, i = 0, 0
    while i < len(lines):
        if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and re.match(r"^\s*\|?\s*:?-+", lines[i + 1]):
            want = len(cells(lines[i]))
            if len(cells(lines[i + 1])) != want:
                raise ValueError("line %d: delimiter row has %d cells, header %d" % (i + 2, len(cells(lines[i + 1])), want))
            j = i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                n = len(cells(lines[j]))
                if n != want:
                    raise ValueError("line %d: %d cells, header has %d" % (j + 1, n, want))
                j += 1
            tables += 1
            i = j
        else:
            i += 1
    if tables == 0:
        raise ValueError("no table")


KINDS = {".json": check_json, ".html": check_html, ".xml": check_xml, ".md": check_md}


def main():
    bad = 0
    for path in sys.argv[1:]:
        ext = path[path.rfind(".") :]
        try:
            KINDS[ext](path)
            print("ok   %s" % path)
        except Exception as e:  # every failure is the file's, reported by name
            print("FAIL %s: %s" % (path, e))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
