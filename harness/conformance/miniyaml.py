"""A reader for the small subset of YAML the harness needs (standard library only).

harness/report.py must run under any python3, which may lack PyYAML. The files it
reads use only: block mappings nested by indentation, plain or quoted scalars,
flow lists (`[a, b]`, possibly starting on the next line), block lists of
scalars (`- x`), block scalars (`|`, `>`), comments, and the `%YAML` / `---`
header. That is what this reads; anything else raises ValueError with the line
number, so a file that drifts outside the subset is noticed rather than misread.
harness/test_harness.py checks the results against PyYAML on every file we read.
"""
import re

_KEY_RE = re.compile(r'^(?P<key>"[^"]*"|\'[^\']*\'|[^\s#\'"\-\[{][^#]*?|-[^\s][^#]*?)\s*:(?:\s+(?P<rest>.*))?$')
_BLOCK_SCALAR_RE = re.compile(r"^[|>][-+0-9]*$")


class _Line:
    __slots__ = ("number", "indent", "text")

    def __init__(self, number, indent, text):
        self.number, self.indent, self.text = number, indent, text


def _strip_comment(text):
    """Text without a trailing `# comment` (a # outside quotes, after a space)."""
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and (i == 0 or text[i - 1] in " [,:"):
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
    return text.rstrip()


def _scalar(text, number):
    text = text.strip()
    if not text or text == "~" or text == "null":
        return None
    if text[0] == '"':
        if not text.endswith('"') or len(text) < 2:
            raise ValueError(f"line {number}: unterminated string")
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if text[0] == "'":
        if not text.endswith("'") or len(text) < 2:
            raise ValueError(f"line {number}: unterminated string")
        return text[1:-1].replace("''", "'")
    if text[0] in "{&*!@`":
        raise ValueError(f"line {number}: unsupported YAML: {text[:30]!r}")
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    return text


def _flow_list(text, number):
    inner = text.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        raise ValueError(f"line {number}: unterminated flow list")
    inner = inner[1:-1].strip()
    if not inner:
        return []
    if "[" in inner or "{" in inner:
        raise ValueError(f"line {number}: nested flow collections are not supported")
    return [_scalar(part, number) for part in inner.split(",") if part.strip()]


class _Reader:
    def __init__(self, text):
        self.lines = []
        raw = text.splitlines()
        i = 0
        while i < len(raw):
            line = raw[i].replace("\t", "    ") if raw[i].lstrip().startswith("#") else raw[i]
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise ValueError(f"line {i + 1}: tab in indentation")
            body = line.strip()
            if not body or body.startswith("#") or body.startswith("%") or body == "---":
                i += 1
                continue
            if body == "...":
                break
            indent = len(line) - len(line.lstrip(" "))
            self.lines.append(_Line(i + 1, indent, _strip_comment(line.strip())))
            # A block scalar swallows every following line indented deeper than its key.
            match = _KEY_RE.match(self.lines[-1].text)
            rest = match.group("rest") if match else None
            if rest is None and self.lines[-1].text.startswith("- "):
                rest = self.lines[-1].text[2:]
            if rest is not None and _BLOCK_SCALAR_RE.match(rest.strip()):
                block = []
                i += 1
                while i < len(raw) and (not raw[i].strip() or
                                        len(raw[i]) - len(raw[i].lstrip(" ")) > indent):
                    block.append(raw[i])
                    i += 1
                self.lines[-1].text += "\0" + "\n".join(block)
                continue
            i += 1
        self.pos = 0

    def peek(self):
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def node(self, indent):
        """The collection starting at the current line, which has exactly `indent`."""
        line = self.peek()
        if line.text.startswith("- ") or line.text == "-":
            return self.sequence(indent)
        return self.mapping(indent)

    def value_after_key(self, rest, line):
        """The value of `key: rest`, reading nested lines when rest is empty."""
        if rest is not None and "\0" in rest:
            head, _, body = rest.partition("\0")
            return _block_scalar(head, body)
        if rest:
            if rest.startswith("["):
                return self.flow_continuation(rest, line)
            return _scalar(rest, line.number)
        nxt = self.peek()
        if nxt is None or nxt.indent <= line.indent:
            if nxt is not None and nxt.indent == line.indent and nxt.text.startswith("- "):
                return self.sequence(nxt.indent)   # "key:\n- a" (list at the key's indent)
            return None
        if nxt.text.startswith("["):
            self.pos += 1
            return self.flow_continuation(nxt.text, nxt)
        return self.node(nxt.indent)

    def flow_continuation(self, text, line):
        while "]" not in text:
            nxt = self.peek()
            if nxt is None:
                raise ValueError(f"line {line.number}: unterminated flow list")
            text += " " + nxt.text
            self.pos += 1
        return _flow_list(text, line.number)

    def mapping(self, indent):
        out = {}
        while True:
            line = self.peek()
            if line is None or line.indent < indent:
                return out
            if line.indent > indent:
                raise ValueError(f"line {line.number}: unexpected indentation")
            text = line.text.split("\0", 1)[0]
            match = _KEY_RE.match(text)
            if not match:
                raise ValueError(f"line {line.number}: expected `key: value`, got {text[:40]!r}")
            key = _scalar(match.group("key"), line.number)
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise ValueError(f"line {line.number}: duplicate key {key!r}")
            self.pos += 1
            rest = match.group("rest")
            if "\0" in line.text:
                rest = (rest or "") + "\0" + line.text.split("\0", 1)[1]
            out[key] = self.value_after_key(rest, line)

    def sequence(self, indent):
        out = []
        while True:
            line = self.peek()
            if line is None or line.indent < indent:
                return out
            if line.indent > indent or not (line.text.startswith("- ") or line.text == "-"):
                if line.indent == indent:
                    return out
                raise ValueError(f"line {line.number}: unexpected indentation")
            self.pos += 1
            item = line.text[2:] if line.text.startswith("- ") else ""
            if "\0" in item:
                head, _, body = item.partition("\0")
                out.append(_block_scalar(head, body))
            elif _KEY_RE.match(item):
                raise ValueError(f"line {line.number}: mappings inside lists are not supported")
            elif item.startswith("["):
                out.append(self.flow_continuation(item, line))
            else:
                out.append(_scalar(item, line.number))


def _block_scalar(indicator, body):
    lines = body.split("\n")
    content = [l for l in lines if l.strip()]
    margin = min((len(l) - len(l.lstrip(" ")) for l in content), default=0)
    lines = [l[margin:] for l in lines]
    while lines and not lines[-1].strip():
        lines.pop()
    if indicator.strip().startswith(">"):
        text = re.sub(r"(?<!\n)\n(?!\n)", " ", "\n".join(lines))
    else:
        text = "\n".join(lines)
    return text if "-" in indicator else text + "\n"


def loads(text):
    """The document in `text` as dicts / lists / scalars (None for an empty file)."""
    reader = _Reader(text)
    if reader.peek() is None:
        return None
    first = reader.peek()
    value = reader.node(first.indent)
    if reader.peek() is not None:
        raise ValueError(f"line {reader.peek().number}: unexpected content")
    return value


def load_file(path):
    with open(path, encoding="utf-8") as handle:
        try:
            return loads(handle.read())
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
