"""Fault rules: injected error answers, latency and dropped connections for /api requests."""

import random
from typing import Any, Dict, List, Optional

from .records import new_id


class FaultBook:
    """The fault rules in the order they were added; the first rule that fires answers the request."""

    def __init__(self) -> None:
        self.rules = []  # type: List[Dict[str, Any]]
        self._rngs = {}  # type: Dict[str, random.Random]

    def add(self, spec: Dict[str, Any]) -> Dict[str, Any]:
        """Store a rule (already validated) and return it with its id."""
        rule = dict(spec, id=new_id(), fired=0, remaining=spec.get("count"))
        if rule.get("methods") is not None:
            rule["methods"] = [method.upper() for method in rule["methods"]]
        self._rngs[rule["id"]] = random.Random(rule.get("seed"))
        self.rules.append(rule)
        return dict(rule)

    def list(self) -> List[Dict[str, Any]]:
        """Copies of all rules, spent ones included."""
        return [dict(rule) for rule in self.rules]

    def clear(self) -> None:
        """Forget every rule."""
        self.rules = []
        self._rngs = {}

    def remove(self, rule_id: str) -> bool:
        """Forget one rule; False when there is no such rule."""
        kept = [rule for rule in self.rules if rule["id"] != rule_id]
        found = len(kept) != len(self.rules)
        self.rules = kept
        self._rngs.pop(rule_id, None)
        return found

    def match(self, method: str, path: str) -> Optional[Dict[str, Any]]:
        """The rule that fires for this request, or None. A firing rule is counted (and spent at its count)."""
        for rule in self.rules:
            if not _applies(rule, method, path):
                continue
            if self._rngs[rule["id"]].random() >= rule["rate"]:
                continue
            rule["fired"] += 1
            if rule["remaining"] is not None:
                rule["remaining"] -= 1
            return dict(rule)
        return None


def _applies(rule: Dict[str, Any], method: str, path: str) -> bool:
    """Whether a rule that is not spent covers this method and path."""
    if rule["remaining"] is not None and rule["remaining"] <= 0:
        return False
    if rule.get("methods") is not None and method.upper() not in rule["methods"]:
        return False
    prefix = rule.get("pathPrefix")
    return prefix is None or path.startswith(prefix)
