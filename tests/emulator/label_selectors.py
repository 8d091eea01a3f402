"""labelSelector on list routes [assumed]: the Kubernetes/hcloud syntax, parsed by a tokenizer of its own.

The emulator is the collection's test oracle, so this never imports the collection's parser.
Grammar: selector := requirement ("," requirement)*; requirement := ["!"] key | key ("=" | "==" | "!=") [value]
| key ("in" | "notin") "(" value ("," value)* ")". "!=" and "notin" also match records without the key.
"""

from typing import Any, Callable, Dict, List, Optional, Tuple

from fastapi import Query

from .errors import validation

LABEL_SELECTOR_QUERY = Query(None, description="[assumed] only records whose labels match (k=v, k!=v, k, !k, k in (a,b), k notin (a,b); comma = and)")
SPECIALS = ",()=!<>"
Token = Tuple[str, str]  # ("word" | "op", text)
Test = Callable[[Dict[str, str]], bool]


class BadSelector(ValueError):
    pass


def tokens(text: str) -> List[Token]:
    """Words (any run without whitespace or a special character) and operators, whitespace dropped."""
    found: List[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif text.startswith(("==", "!="), index):
            found.append(("op", text[index:index + 2]))
            index += 2
        elif char in SPECIALS:
            found.append(("op", char))
            index += 1
        else:
            end = index
            while end < len(text) and not text[end].isspace() and text[end] not in SPECIALS:
                end += 1
            found.append(("word", text[index:end]))
            index = end
    return found


class Parser:
    def __init__(self, text: str) -> None:
        self.items = tokens(text)
        self.at = 0

    def peek(self) -> Optional[Token]:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self, kind: str, texts: Tuple[str, ...] = ()) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (texts and token[1] not in texts):
            raise BadSelector("expected %s at %r" % (" or ".join(texts) or "a %s" % kind, token[1] if token else "the end"))
        self.at += 1
        return token[1]

    def requirement(self) -> Test:
        if self.peek() == ("op", "!"):
            self.at += 1
            key = self.take("word")
            return lambda labels: key not in labels
        key = self.take("word")
        if len(key) > 63:
            raise BadSelector("label keys are at most 63 characters long")
        token = self.peek()
        if token is None or token == ("op", ","):
            return lambda labels: key in labels
        if token[0] == "op" and token[1] in ("=", "==", "!="):
            self.at += 1
            following = self.peek()
            value = self.take("word") if following and following[0] == "word" else ""
            if token[1] == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: key in labels and labels[key] == value
        operator = self.take("word", ("in", "notin"))
        self.take("op", ("(",))
        values = {self.take("word")}
        while self.peek() == ("op", ","):
            self.at += 1
            values.add(self.take("word"))
        self.take("op", (")",))
        if operator == "in":
            return lambda labels: key in labels and labels[key] in values
        return lambda labels: labels.get(key) not in values

    def selector(self) -> List[Test]:
        tests = [self.requirement()]
        while self.peek() == ("op", ","):
            self.at += 1
            tests.append(self.requirement())
        if self.peek() is not None:
            raise BadSelector("unexpected %r" % self.peek()[1])
        return tests


def parse(text: str) -> List[Test]:
    return Parser(text).selector()


def select(records: List[Dict[str, Any]], text: Optional[str]) -> List[Dict[str, Any]]:
    """The records whose labels match text (None: all of them); 422 validation_error on a bad selector."""
    if text is None:
        return records
    try:
        tests = parse(text)
    except BadSelector as error:
        raise validation({"labelSelector": "invalid label selector %r: %s" % (text, error)}) from None
    return [record for record in records if all(test(record.get("labels") or {}) for test in tests)]
