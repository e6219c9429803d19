"""JUnit XML for CI: one testsuite per timeline, one testcase per clip with findings (every
AI clip), a failure per clip at or above --fail-on (lock by default); lower findings are
reported in the testcase's system-out without failing it.

Always well-formed XML 1.0: characters XML forbids (control characters, undecodable bytes
of a file name) are written as visible escapes such as ``\\x1b``; markup is escaped by
ElementTree."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from aigate.model import SubjectResult
from aigate.report import Report, ReportOptions


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


def _suite(result: SubjectResult, options: ReportOptions) -> ET.Element:
    suite = ET.Element("testsuite", name=result.name)
    properties = ET.SubElement(suite, "properties")
    for name, value in (("path", str(result.path or "")), ("stage", result.stage),
                        ("policy", result.policy), ("verdict", result.verdict.label),
                        ("config", result.config or "")):
        ET.SubElement(properties, "property", name=name, value=value)
    cases = failures = 0
    for item_result in result.items:
        if not (item_result.findings or item_result.ai):
            continue
        item = item_result.item
        cases += 1
        case = ET.SubElement(suite, "testcase", classname=f"{result.name}.{item.track}",
                             name=f"{item.clip} {item.record_in}-{item.record_out}")
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
