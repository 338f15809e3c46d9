#!/usr/bin/env python3
"""Rewrites `import Foundation` in Swift sources to the Foundation-free set the shipped binary needs.

    scripts/dev/foundation-free.py Sources/Agents/NewFile.swift ...   (no arguments: every file under Sources)

Why: one `import Foundation` anywhere links CoreFoundation and ICU into `miller` (+45 MB, about 2 ms of
start-up on every run; `make build` warns). The mechanical part is done here; what is left is reported
and is done by hand (see Sources/Platform):
  String(format:)                          -> String(printf:)       (same formats; %@ takes any text)
  .trimmingCharacters(in: .whitespaces)    -> .trimmingWhitespace()
  .padding(toLength: n, withPad: " ", startingAt: 0) -> .padded(toLength: n)
  NSLock() / NSCondition() / Thread        -> Lock() / Condition() / startThread
  FileHandle.standardError.write(Data((s + "\\n").utf8)) -> StandardStreams.writeError(s + "\\n")
  .replacingOccurrences(of: "a", with: "b") -> .replacing("a", with: "b")
  Foundation.exp(...)                      -> Glibc.exp(...)
Data, URL, Date, FileManager, JSONEncoder/JSONDecoder, ProcessInfo come from FoundationEssentials.
"""
import re
import subprocess
import sys

GLIBC = "#if canImport(Glibc)\nimport Glibc\n#elseif canImport(Darwin)\nimport Darwin\n#endif\n"
ESSENTIALS = re.compile(r'(?<![.\w])Data\b|\bURL\b|FileManager|\bDate\(|JSONEncoder|JSONDecoder|ProcessInfo|'
                        r'TimeInterval|write\(toFile|contentsOfFile|components\(separatedBy|timeIntervalSince')
PLATFORM = re.compile(r'String\(printf:|trimmingWhitespace|padded\(toLength|\bLock\(\)|\bCondition\(\)|'
                      r'StandardStreams|startThread')
LEFT = re.compile(r'String\(format:|trimmingCharacters|replacingOccurrences|\bNSString\b|FileHandle|\bThread\b|'
                  r'NSLock|NSCondition|DateFormatter|NumberFormatter|\bLocale\b|localizedDescription|'
                  r'\.range\(of:|CharacterSet|padding\(toLength|Foundation\.')


def convert(path):
    s = open(path).read()
    if not re.search(r'^import Foundation$', s, re.M):
        return
    s = s.replace("String(format:", "String(printf:")
    s = s.replace(".trimmingCharacters(in: .whitespaces)", ".trimmingWhitespace()")
    s = re.sub(r'\.padding\(toLength: (\w+), withPad: " ", startingAt: 0\)', r'.padded(toLength: \1)', s)
    s = s.replace("NSLock()", "Lock()").replace("NSCondition()", "Condition()")
    s = re.sub(r'FileHandle\.standardError\.write\(Data\(\((.*?) \+ "\\n"\)\.utf8\)\)',
               r'StandardStreams.writeError(\1 + "\\n")', s)
    s = re.sub(r'\.replacingOccurrences\(of: ("[^"]*"), with: ("[^"]*")\)', r'.replacing(\1, with: \2)', s)
    s = re.sub(r'\bFoundation\.([a-z0-9]+)\(', r'Glibc.\1(', s)
    body = re.sub(r'^import Foundation$', '', s, flags=re.M)
    imports = GLIBC
    if ESSENTIALS.search(body):
        imports += "import FoundationEssentials\n"
    if re.search(r'Dispatch[A-Z]', body):
        imports += "import Dispatch\n"
    if PLATFORM.search(body):
        imports += "import Platform\n"
    s = re.sub(r'^import Foundation\n', imports, s, count=1, flags=re.M)
    open(path, "w").write(s)
    for n, line in enumerate(s.splitlines(), 1):
        if LEFT.search(line) and not line.lstrip().startswith("//"):
            print(f"{path}:{n}: by hand: {line.strip()}")
    print(f"{path}: converted")


files = sys.argv[1:] or subprocess.check_output(["grep", "-rl", "^import Foundation", "Sources"]).decode().split()
for f in files:
    convert(f)
