"""Firewall and private network rules and bodies (assumed API: docs/dev/api-contract.md, "Firewalls and private networks")."""

import ipaddress
import re
from typing import Annotated, Any, Dict, List, Literal, Optional

from pydantic import AfterValidator, Field, StrictStr, ValidationInfo

from .errors import conflict, validation
from .models import Body, Name, ProjectId

PORT_PATTERN = re.compile(r"^([0-9]{1,5})(?:-([0-9]{1,5}))?$")
PRIVATE_RANGES = tuple(ipaddress.ip_network(text) for text in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
MAX_RULES = 50
MAX_SOURCES = 50
PREFIX_RANGE = (16, 29)


# -- checks ----------------------------------------------------------------------------------------

def check_port(value: str) -> str:
    """A port "22" or a range "8000-8100", 1-65535; "80-80" becomes "80"."""
    match = PORT_PATTERN.match(value)
    if not match:
        raise ValueError('must be a port such as "22" or a range such as "8000-8100"')
    low, high = int(match.group(1)), int(match.group(2) or match.group(1))
    if not (1 <= low <= 65535 and 1 <= high <= 65535):
        raise ValueError("ports must be between 1 and 65535")
    if low > high:
        raise ValueError("the range %s must go from the lower to the higher port" % value)
    return str(low) if low == high else "%d-%d" % (low, high)


def check_source(value: str) -> str:
    """An IPv4 or IPv6 CIDR without host bits; a bare address is its /32 (/128). No zone id, on every Python."""
    if "%" in value:
        raise ValueError("%s has a zone id, which a firewall rule cannot use" % value)
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError("%s is not an IPv4 or IPv6 CIDR such as 10.0.0.0/8" % value)
        raise ValueError("%s has host bits set" % value)


def check_sources(value: List[str]) -> List[str]:
    """sources: 1-50 CIDRs, canonical, duplicates dropped, in the order given."""
    if not 1 <= len(value) <= MAX_SOURCES:
        raise ValueError("must name 1 to %d CIDRs" % MAX_SOURCES)
    return list(dict.fromkeys(check_source(item) for item in value))


def check_instance_ids(value: List[str], info: ValidationInfo) -> List[str]:
    """instanceIds: distinct ids of instances (their project is checked by the route)."""
    store = info.context["store"]
    for instance_id in value:
        if store.find("instances", instance_id) is None:
            raise ValueError("unknown instance %s" % instance_id)
    if len(set(value)) != len(value):
        raise ValueError("must not name an instance twice")
    return value


def check_cidr(value: str) -> str:
    """cidr: an IPv4 private network (10/8, 172.16/12, 192.168/16), prefix /16 to /29, no host bits."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        try:
            ipaddress.IPv4Network(value, strict=False)
        except ValueError:
            raise ValueError("must be an IPv4 CIDR such as 10.10.0.0/24")
        raise ValueError("%s has host bits set" % value)
    if "/" not in value:
        raise ValueError("must give the prefix length, such as 10.10.0.0/24")
    if not PREFIX_RANGE[0] <= network.prefixlen <= PREFIX_RANGE[1]:
        raise ValueError("the prefix length must be between /%d and /%d" % PREFIX_RANGE)
    if not any(network.subnet_of(private) for private in PRIVATE_RANGES):
        raise ValueError("must be inside a private range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
    return str(network)


Port = Annotated[StrictStr, AfterValidator(check_port)]
Sources = Annotated[List[StrictStr], AfterValidator(check_sources)]
InstanceIds = Annotated[List[StrictStr], AfterValidator(check_instance_ids)]
Cidr = Annotated[StrictStr, AfterValidator(check_cidr)]


class Rule(Body):
    """One inbound allow rule."""

    protocol: Literal["tcp", "udp", "icmp"] = Field(description="tcp, udp or icmp")
    port: Optional[Port] = Field(None, description='"22", "8000-8100", or null: every port (always null for icmp)')
    sources: Sources = Field(description="1-50 IPv4/IPv6 CIDRs the traffic may come from")


def check_rules(value: List[Rule]) -> List[Dict[str, Any]]:
    """rules: at most 50, icmp without port, no rule twice."""
    if len(value) > MAX_RULES:
        raise ValueError("at most %d rules" % MAX_RULES)
    rules, seen = [], set()
    for index, rule in enumerate(value):
        if rule.protocol == "icmp" and rule.port is not None:
            raise ValueError("%d.port: must be null for icmp" % index)
        key = (rule.protocol, rule.port, tuple(sorted(rule.sources)))
        if key in seen:
            raise ValueError("%d: the same rule is given twice" % index)
        seen.add(key)
        rules.append({"protocol": rule.protocol, "port": rule.port, "sources": rule.sources})
    return rules


Rules = Annotated[List[Rule], AfterValidator(check_rules)]


# -- bodies ----------------------------------------------------------------------------------------

class FirewallCreate(Body):
    """POST /api/firewalls."""

    projectId: ProjectId
    name: Name = Field(description="1-63 of [a-z0-9-], starting with a letter; unique in the project")
    rules: Optional[Rules] = Field(None, description="inbound allow rules; none: nothing is allowed in")
    instanceIds: Optional[InstanceIds] = Field(None, description="instances of the same project it applies to")


class FirewallUpdate(Body):
    """PATCH /api/firewalls/{id}: rules and instanceIds are replaced as a whole."""

    name: Name = None
    rules: Rules = None
    instanceIds: InstanceIds = None


class NetworkCreate(Body):
    """POST /api/networks."""

    projectId: ProjectId
    name: Name = Field(description="1-63 of [a-z0-9-], starting with a letter; unique in the project")
    cidr: Cidr = Field(description="an IPv4 private range, /16 to /29, not overlapping another network of the project")


class NetworkAttach(Body):
    """POST /api/networks/{id}/attach."""

    instanceId: StrictStr
    ip: Optional[StrictStr] = Field(None, description="a free host address of the network; default: the next free one")


class NetworkDetach(Body):
    """POST /api/networks/{id}/detach (idempotent)."""

    instanceId: StrictStr


# -- rules that need the store ---------------------------------------------------------------------

def check_same_project(store: Any, project_id: str, instance_ids: List[str]) -> None:
    """422 on instanceIds for an instance of another project."""
    for instance_id in instance_ids:
        if store.get("instances", instance_id)["projectId"] != project_id:
            raise validation({"instanceIds": "instance %s is not in project %s" % (instance_id, project_id)})


def check_no_overlap(store: Any, project_id: str, cidr: str) -> None:
    """422 on cidr when it overlaps another network of the project."""
    network = ipaddress.ip_network(cidr)
    for other in store.select("networks", projectId=project_id):
        if network.overlaps(ipaddress.ip_network(other["cidr"])):
            raise validation({"cidr": "overlaps network %s (%s) of this project" % (other["name"], other["cidr"])})


def usable_hosts(cidr: str) -> List[ipaddress.IPv4Address]:
    """The addresses instances can get: every host address but the first, which is the gateway."""
    return list(ipaddress.ip_network(cidr).hosts())[1:]


def attach(store: Any, network: Dict[str, Any], instance_id: str, ip: Optional[str]) -> Dict[str, Any]:
    """Attach an instance: 422 for another project or a bad ip, 409 when attached already or nothing is free."""
    inst = store.find("instances", instance_id)
    if inst is None:
        raise validation({"instanceId": "unknown instance %s" % instance_id})
    if inst["projectId"] != network["projectId"]:
        raise validation({"instanceId": "must be an instance of project %s" % network["projectId"]})
    if inst["status"] == "deleting":
        raise conflict("instance %s is being deleted" % instance_id, {"status": "deleting"}, code="invalid_state")
    if any(item["instanceId"] == instance_id for item in network["attachments"]):
        raise conflict("instance %s is attached to network %s already" % (instance_id, network["name"]))
    taken = {item["ip"] for item in network["attachments"]}
    hosts = usable_hosts(network["cidr"])
    if ip is not None:
        try:
            address = ipaddress.IPv4Address(ip)
        except ValueError:
            raise validation({"ip": "must be an IPv4 address"})
        if address not in hosts:
            raise validation({"ip": "must be a host address of %s other than the gateway %s" % (network["cidr"], hosts[0] - 1)})
        if str(address) in taken:
            raise validation({"ip": "%s is taken in network %s" % (address, network["name"])})
        chosen = str(address)
    else:
        if store.loopback is not None:  # reachable mode: a loopback address, as many as the network has hosts
            chosen = store.loopback.allocate() if len(taken) < len(hosts) else None
        else:
            chosen = next((str(host) for host in hosts if str(host) not in taken), None)
        if chosen is None:
            raise conflict("no address is left in network %s (%s)" % (network["name"], network["cidr"]), code="addresses_exhausted")
    network["attachments"].append({"instanceId": instance_id, "ip": chosen})
    store.save()
    return network


def detach(store: Any, network: Dict[str, Any], instance_id: str) -> Dict[str, Any]:
    """Detach an instance; idempotent."""
    kept = [item for item in network["attachments"] if item["instanceId"] != instance_id]
    if len(kept) != len(network["attachments"]):
        network["attachments"] = kept
        store.save()
    return network


def forget_instance(data: Dict[str, Any], instance_id: str) -> None:
    """An instance is gone: take it out of every firewall and network."""
    for firewall in data["firewalls"].values():
        firewall["instanceIds"] = [item for item in firewall["instanceIds"] if item != instance_id]
    for network in data["networks"].values():
        network["attachments"] = [item for item in network["attachments"] if item["instanceId"] != instance_id]
