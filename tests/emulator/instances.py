"""Instance rules: creation, changes, power actions, deletion, forced status."""

import ipaddress
from typing import Any, Dict, Optional

from .errors import ApiError, conflict, validation
from .records import ipv6_prefix, iso, next_ipv6
from .seed import instance_record
from .state import Store

# action -> (statuses it is allowed from, transitional status, final status)
POWER_RULES = {
    "start": (("stopped",), "starting", "running"),
    "stop": (("running", "stopping", "starting", "rebooting"), "stopping", "stopped"),
    "shutdown": (("running",), "stopping", "stopped"),
    "reboot": (("running",), "rebooting", "running"),
}

# transitional status -> the status it turns into (None: the instance is gone)
TRANSITIONS = {"provisioning": "running", "stopping": "stopped", "starting": "running", "rebooting": "running", "rebuilding": "running",
               "deleting": None}


def duration(store: Store, status: str) -> float:
    """How long a transitional status lasts."""
    key = "provisionSeconds" if status in ("provisioning", "rebuilding") else "transitionSeconds"  # a rebuild takes as long as a create
    return float(store.settings[key])


def name_conflict(label: str, name: str) -> ApiError:
    """409 for a taken name."""
    article = "an" if label[:1] in "aeiou" else "a"
    return conflict("%s %s named %s already exists in this project" % (article, label, name), {"name": "is already taken in this project"})


def given_flags(model: Any) -> Dict[str, bool]:
    """The protection flags a body really carried ({} for none)."""
    return {} if model is None else {name: value for name, value in model.model_dump(exclude_unset=True).items() if value is not None}


def merge_protection(record: Dict[str, Any], flags: Dict[str, bool]) -> bool:
    """Set the given protection flags of a record; whether anything changed."""
    merged = dict(record["protection"], **flags)
    if merged == record["protection"]:
        return False
    record["protection"] = merged
    return True


def create(store: Store, spec: Dict[str, Any]) -> Dict[str, Any]:
    """A new instance in status provisioning (validated spec)."""
    if store.name_taken("instances", spec["projectId"], spec["name"]):
        raise name_conflict("instance", spec["name"])
    inst = instance_record(store.data, spec, "provisioning", store.now(), store.next_ipv4)
    if inst["ipv4"] is None:  # reachable mode only: the 65,000 addresses of the loopback block are used up
        raise conflict("no IPv4 address is left", code="addresses_exhausted")
    store.add("instances", inst)
    store.begin(inst, "provisioning", "running", duration(store, "provisioning"))
    inst["updatedAt"] = inst["createdAt"]
    return inst


def refuse_while_deleting(inst: Dict[str, Any], what: str) -> None:
    """409 invalid_state for a change asked of an instance that is being deleted."""
    if inst["status"] == "deleting":
        raise conflict("cannot %s an instance in status deleting" % what, {"status": inst["status"]}, code="invalid_state")


def update(store: Store, inst: Dict[str, Any], changes: Dict[str, Any]) -> Dict[str, Any]:
    """Apply a PATCH; only fields that really change count."""
    refuse_while_deleting(inst, "change")
    changes = dict(changes)
    flags, backups = changes.pop("protection", None), changes.pop("backups", None)  # switches, compared on their own
    real = {name: value for name, value in changes.items() if name != "ipv6" and inst.get(name) != value}
    if "ipv6" in changes and changes["ipv6"] != (inst["ipv6"] is not None):
        real["ipv6"] = changes["ipv6"]  # ipv6 is a switch in a PATCH and an address in the object
    if "diskGb" in real and real["diskGb"] < inst["diskGb"]:
        raise validation({"diskGb": "can only grow (currently %d)" % inst["diskGb"]})
    sizing = sorted(name for name in ("vcpus", "memoryMb", "ipv6") if name in real)
    if sizing and inst["status"] != "stopped":
        message = "%s can only change while the instance is stopped (status: %s)" % (" and ".join(sizing), inst["status"])
        raise conflict(message, {name: "requires status stopped" for name in sizing}, code="instance_not_stopped")
    if "name" in real and store.name_taken("instances", inst["projectId"], real["name"], exclude_id=inst["id"]):
        raise name_conflict("instance", real["name"])
    if "ipv6" in real:
        switch_ipv6(store, inst, real.pop("ipv6"))
    switched = merge_protection(inst, flags or {})
    if backups is not None and backups != inst["backups"]:
        store.switch_backups(inst, backups)
        switched = True
    if real or switched:
        inst.update(real)
        inst["updatedAt"] = iso(store.now())
    return inst


def switch_ipv6(store: Store, inst: Dict[str, Any], enabled: bool) -> None:
    """Enable (a new, never used /64) or disable IPv6 of a stopped instance; its PTR goes with the address."""
    reverse = inst.setdefault("reverseDns", {inst["ipv4"]: None})
    if inst["ipv6"]:
        reverse.pop(inst["ipv6"], None)
    inst["ipv6"] = next_ipv6(store.data) if enabled else None
    inst["ipv6Prefix"] = ipv6_prefix(inst["ipv6"]) if enabled else None
    if enabled:
        reverse[inst["ipv6"]] = None
    inst["updatedAt"] = iso(store.now())


def set_reverse_dns(store: Store, inst: Dict[str, Any], address: str, ptr: Optional[str]) -> Dict[str, Any]:
    """Set (or clear, ptr None) the PTR of one of the instance's own addresses; the same value changes nothing."""
    refuse_while_deleting(inst, "change the reverse DNS of")
    own = [a for a in (inst["ipv4"], inst["ipv6"]) if a]
    try:
        address = str(ipaddress.ip_address(address))  # any spelling of an IPv6 address
    except ValueError:
        raise validation({"address": "must be an IP address, one of the instance's: %s" % ", ".join(own)})
    if address not in own:
        raise validation({"address": "must be one of the instance's addresses: %s" % ", ".join(own)})
    reverse = inst.setdefault("reverseDns", {})
    if reverse.get(address, None) != ptr or address not in reverse:
        reverse[address] = ptr
        inst["updatedAt"] = iso(store.now())
    return inst


def power(store: Store, inst: Dict[str, Any], action: str) -> Dict[str, Any]:
    """Start a power action, or 409 invalid_state when it makes no sense in the current status."""
    allowed, transitional, final = POWER_RULES[action]
    status = inst["status"]
    if status not in allowed:
        message = "cannot %s an instance in status %s" % (action, status)
        raise conflict(message, {"action": action, "status": status}, code="invalid_state")
    if action == "shutdown" and inst["_ignoreShutdown"]:
        final = "running"
    current = inst.get("_transition") or {}
    if status == transitional and current.get("target") == final:
        return inst
    store.begin(inst, transitional, final, duration(store, transitional))
    return inst


def delete(store: Store, inst: Dict[str, Any]) -> Dict[str, Any]:
    """Start deleting; a second delete changes nothing."""
    if inst["status"] != "deleting":
        store.begin(inst, "deleting", None, duration(store, "deleting"))
    return inst


def force(store: Store, inst: Dict[str, Any], status: Optional[str], ignore_shutdown: Optional[bool]) -> Dict[str, Any]:
    """Control: set a status (a transitional one completes normally from now) and the ignore-shutdown flag."""
    if ignore_shutdown is not None:
        inst["_ignoreShutdown"] = ignore_shutdown
    if status in TRANSITIONS:
        store.begin(inst, status, TRANSITIONS[status], duration(store, status))
    elif status is not None:
        inst["status"] = status
        inst["_transition"] = None
        inst["updatedAt"] = iso(store.now())
        if status == "running":
            store.booted[inst["id"]] = store.now()  # a forced running is a new boot (reachable mode counts from it)
    return inst
