"""JUnit XML for CI: one testsuite per timeline, named by its file and name (the same cut
exported as .otio, .edl and .xml gives three suites), with the counts in words as
properties; one testcase per clip with findings (every AI clip), a failure per clip at or
above --fail-on (lock by default); lower findings are reported in the testcase's
system-out without failing it.

Always well-formed XML 1.0: characters XML forbids (control characters, undecodable bytes
of a file name) are written as visible escapes such as ``\\x1b``; markup is escaped by
ElementTree."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from aigate.api import Report, ReportOptions, SubjectResult


def head(report: Report, options: ReportOptions) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="aigate">\n'


def subject(result: SubjectResult, options: ReportOptions) -> str:
    suite = _suite(result, options)
    ET.indent(suite, level=1)
    return "  " + xml_safe(ET.tostring(suite, encoding="unicode")) + "\n"


def tail(report: Report, options: ReportOptions) -> str:
    text = ""
    if report.errors:
        suite = ET.Element("testsuite", name="unreadable files",
                           tests=str(len(report.errors)), failures="0",
                           errors=str(len(report.errors)), skipped="0")
        for problem in report.errors:
            case = ET.SubElement(suite, "testcase", classname="aigate.input",
                                 name=problem.path)
            ET.SubElement(case, "error", message=problem.message, type="input")
        ET.indent(suite, level=1)
        text = "  " + xml_safe(ET.tostring(suite, encoding="unicode")) + "\n"
    return text + "</testsuites>\n"


#: what XML 1.0 forbids anywhere in a document (its Char production, inverted)
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 forbids replaced by a visible escape."""
    return _FORBIDDEN.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def suite_name(result: SubjectResult) -> str:
    """The timeline's file and name: the .otio, .edl and .xml of one cut are different
    suites, which CI tools (merging suites and cases by name) must not fold together."""
    return f"{result.path}: {result.name}" if result.path else result.name


def _suite(result: SubjectResult, options: ReportOptions) -> ET.Element:
    name = suite_name(result)
    suite = ET.Element("testsuite", name=name)
    properties = ET.SubElement(suite, "properties")
    counts = result.counts
    for key, value in (("path", str(result.path or "")), ("stage", result.stage),
                       ("policy", result.policy), ("verdict", result.verdict.label),
                       ("config", result.config or ""), ("clips", str(counts.clips)),
                       ("clips locked", str(counts.locked)),
                       ("clips warned", str(counts.warned)),
                       ("clips approved (waived)", str(counts.approved)),
                       ("clips allowed by policy", str(counts.allowed)),
                       ("findings waived", str(counts.waived)),
                       ("provenance basis", result.provenance_basis
                        or "media read where found; unread media is a finding")):
        ET.SubElement(properties, "property", name=key, value=value)
    cases = failures = 0
    seen: set[tuple[str, str]] = set()
    for item_result in result.items:
        if not (item_result.findings or item_result.ai):
            continue
        item = item_result.item
        cases += 1
        classname = f"{name}.{item.track}"
        case_name = f"{item.clip} {item.record_in}-{item.record_out}"
        if (classname, case_name) in seen:  # the same clip twice at one place: still unique
            case_name += f" (clip {item.index + 1})"
        seen.add((classname, case_name))
        case = ET.SubElement(suite, "testcase", classname=classname, name=case_name)
        failing = [f for f in item_result.findings if f.severity >= options.fail_on]
        lines = [f"{f.severity.label.upper()} {f.rule}: {f.message}"
                 + (f" [waived by {f.approval}]" if f.waived else "")
                 for f in item_result.findings]
        if failing:
            failures += 1
            headline = item_result.headline
            assert headline is not None  # a failing clip has findings
            failure = ET.SubElement(case, "failure", type=headline.severity.label,
                                    message=f"{headline.rule}: {headline.reason}")
            failure.text = "\n".join(lines)
        elif lines:
            ET.SubElement(case, "system-out").text = "\n".join(lines)
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    return suite
