"""Request bodies (pydantic) and their validation rules. Validators that look things up read the store from the context."""

import math
import re
from typing import Annotated, Any, Callable, Dict, List, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationInfo

from .records import MAX_CLOCK_MOVE, STATUSES, YEAR_SECONDS, normalize_ptr, parse_iso, ssh_fingerprint

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
USER_DATA_LIMIT = 64 * 1024
POWER_ACTIONS = ("start", "stop", "shutdown", "reboot")
PERMISSIONS = ("read", "write")


# -- checks ----------------------------------------------------------------------------------------

def check_name(value: str) -> str:
    """Instance and volume names."""
    if not NAME_PATTERN.match(value):
        raise ValueError("must be 1-63 characters of a-z, 0-9 and '-', starting with a letter")
    return value


def between(low: int, high: int) -> Callable[[int], int]:
    """A check that an integer lies in low..high."""
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError("must be between %d and %d" % (low, high))
        return value
    return check


def length(low: int, high: int) -> Callable[[str], str]:
    """A check of a string's length."""
    def check(value: str) -> str:
        if not low <= len(value) <= high:
            raise ValueError("must be %d to %d characters long" % (low, high))
        return value
    return check


def check_memory(value: int) -> int:
    """memoryMb: 512..262144 in multiples of 512."""
    between(512, 262144)(value)
    if value % 512:
        raise ValueError("must be a multiple of 512")
    return value


def known(kind: str, label: str) -> Callable[[str, ValidationInfo], str]:
    """A check that an id names an existing record of a kind."""
    def check(value: str, info: ValidationInfo) -> str:
        if info.context["store"].find(kind, value) is None:
            raise ValueError("unknown %s %s" % (label, value))
        return value
    return check


def check_template(value: str, info: ValidationInfo) -> str:
    """osTemplate: the name of a known template."""
    names = [template["name"] for template in info.context["store"].data["osTemplates"]]
    if value not in names:
        raise ValueError("must be one of: %s" % ", ".join(names))
    return value


def check_ssh_key_ids(value: List[str], info: ValidationInfo) -> List[str]:
    """sshKeyIds: SSH keys of the instance's project."""
    store = info.context["store"]
    project_id = info.data.get("projectId")
    for key_id in value:
        key = store.find("sshKeys", key_id)
        if key is None or (project_id is not None and key["projectId"] != project_id):
            raise ValueError("unknown SSH key %s in this project" % key_id)
    return value


def check_labels(value: Dict[str, str]) -> Dict[str, str]:
    """labels: keys 1-63 characters, values at most 255."""
    for name, text in value.items():
        if not 1 <= len(name) <= 63:
            raise ValueError("label keys must be 1 to 63 characters long")
        if len(text) > 255:
            raise ValueError("label %s: values must be at most 255 characters long" % name)
    return value


def check_user_data(value: str) -> str:
    """userData: at most 64 KiB of UTF-8."""
    if len(value.encode("utf-8")) > USER_DATA_LIMIT:
        raise ValueError("must be at most %d bytes" % USER_DATA_LIMIT)
    return value


def check_permissions(value: List[str]) -> List[str]:
    """permissions: a non-empty subset of read and write; write implies read."""
    if not value:
        raise ValueError("must name at least one of: read, write")
    unknown = [item for item in value if item not in PERMISSIONS]
    if unknown:
        raise ValueError("unknown permission %s; allowed: read, write" % unknown[0])
    return ["read", "write"] if "write" in value else ["read"]


def check_expiry(value: str, info: ValidationInfo) -> float:
    """expiresAt: ISO 8601, in the future unless the context allows the past. Becomes epoch seconds."""
    try:
        moment = math.floor(parse_iso(value))
    except (ValueError, IndexError, OverflowError):
        raise ValueError("must be an ISO 8601 timestamp such as 2030-01-31T00:00:00Z")
    if moment <= info.context["now"] and not info.context.get("allow_past"):
        raise ValueError("must be in the future")
    return float(moment)


def check_public_key(value: str) -> str:
    """publicKey: one OpenSSH public key line of an accepted type (records.ssh_key_blob)."""
    ssh_fingerprint(value)
    return value.strip()


def check_snapshot(value: str, info: ValidationInfo) -> str:
    """snapshotId: a snapshot of the project (of the instance's, for a rebuild) no larger than the disk."""
    snapshot = info.context["store"].find("snapshots", value)
    inst = info.context.get("instance") or {}
    project_id = inst.get("projectId", info.data.get("projectId"))
    if snapshot is None or (project_id is not None and snapshot["projectId"] != project_id):
        raise ValueError("unknown snapshot %s in this project" % value)
    disk = inst.get("diskGb", info.data.get("diskGb"))
    if disk is not None and snapshot["sizeGb"] > disk:
        raise ValueError("snapshot %s needs a disk of at least %d GB, not %d" % (value, snapshot["sizeGb"], disk))
    return value


def check_backup(value: str, info: ValidationInfo) -> str:
    """backupId: a backup of the instance being rebuilt."""
    backup = info.context["store"].find("backups", value)
    inst = info.context["instance"]
    if backup is None or backup["instanceId"] != inst["id"]:
        raise ValueError("unknown backup %s of instance %s" % (value, inst["id"]))
    return value


def exactly_one(*names: str) -> Callable[[Dict[str, Any]], Dict[str, str]]:
    """A check of the raw body (parse_body's check): exactly one of names is given (null counts as absent)."""
    def check(data: Dict[str, Any]) -> Dict[str, str]:
        given_names = [name for name in names if data.get(name) is not None]
        if not given_names:
            return {names[0]: "is required (or %s)" % " or ".join(names[1:])}
        wording = "give exactly one of %s" % ", ".join(names)
        return {name: wording for name in given_names[1:]}
    return check


def one_of(choices: tuple) -> Callable[[str], str]:
    """A check that a string is one of choices."""
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError("must be one of: %s" % ", ".join(choices))
        return value
    return check


# -- field types -----------------------------------------------------------------------------------

Name = Annotated[StrictStr, AfterValidator(check_name)]
Vcpus = Annotated[StrictInt, AfterValidator(between(1, 64))]
MemoryMb = Annotated[StrictInt, AfterValidator(check_memory)]
DiskGb = Annotated[StrictInt, AfterValidator(between(10, 4096))]
VolumeSize = Annotated[StrictInt, AfterValidator(between(1, 10240))]
ProjectId = Annotated[StrictStr, AfterValidator(known("projects", "project"))]
NodeId = Annotated[StrictStr, AfterValidator(known("nodes", "node"))]
InstanceId = Annotated[StrictStr, AfterValidator(known("instances", "instance"))]
OsTemplate = Annotated[StrictStr, AfterValidator(check_template)]
SshKeyIds = Annotated[List[StrictStr], AfterValidator(check_ssh_key_ids)]
Labels = Annotated[Dict[str, StrictStr], AfterValidator(check_labels)]
UserData = Annotated[StrictStr, AfterValidator(check_user_data)]
KeyName = Annotated[StrictStr, AfterValidator(length(1, 100))]
Permissions = Annotated[List[StrictStr], AfterValidator(check_permissions)]
Expiry = Annotated[StrictStr, AfterValidator(check_expiry)]
Ptr = Annotated[StrictStr, AfterValidator(normalize_ptr)]
SnapshotId = Annotated[StrictStr, AfterValidator(check_snapshot)]
BackupId = Annotated[StrictStr, AfterValidator(check_backup)]


class Body(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# -- API bodies ------------------------------------------------------------------------------------

class Protection(Body):
    """protection of an instance: either flag alone changes only that one."""

    delete: StrictBool = Field(None, description="true: DELETE is refused (409 protected)")
    rebuild: StrictBool = Field(None, description="true: a rebuild is refused (409 protected)")


class DeleteProtection(Body):
    """protection of a volume or floating IP."""

    delete: StrictBool = Field(None, description="true: DELETE is refused (409 protected)")


class InstanceCreate(Body):
    """POST /api/instances (the seven documented fields and the optional ones; osTemplate or snapshotId, exactly one)."""

    projectId: ProjectId = Field(description="id of a project")
    name: Name = Field(description="1-63 of [a-z0-9-], starting with a letter; unique in the project")
    nodeId: NodeId = Field(description="id of a node from GET /api/nodes")
    osTemplate: Optional[OsTemplate] = Field(None, description="name of an OS template, e.g. Ubuntu 24.04 (or snapshotId)")
    vcpus: Vcpus = Field(description="1-64")
    memoryMb: MemoryMb = Field(description="512-262144, a multiple of 512")
    diskGb: DiskGb = Field(description="10-4096")
    snapshotId: Optional[SnapshotId] = Field(None, description="[assumed] id of an available snapshot of the project, instead of osTemplate")
    backups: Optional[StrictBool] = Field(None, description="[assumed] true: daily backups (default false)")
    protection: Optional[Protection] = Field(None, description="[assumed] {delete, rebuild}, both false by default")
    sshKeyIds: Optional[SshKeyIds] = Field(None, description="ids of SSH keys of the same project")
    labels: Optional[Labels] = Field(None, description="string keys (1-63 characters) to string values")
    userData: Optional[UserData] = Field(None, description="cloud-init user data, at most 64 KiB")
    ipv6: Optional[StrictBool] = Field(None, description="true: give the instance a /64 and an IPv6 address (default false)")


class InstanceUpdate(Body):
    """PATCH /api/instances/{id}: name and labels any time, vcpus and memoryMb while stopped, diskGb only grows."""

    name: Name = None
    labels: Labels = None
    vcpus: Vcpus = None
    memoryMb: MemoryMb = None
    diskGb: DiskGb = None
    ipv6: StrictBool = None
    backups: StrictBool = None
    protection: Protection = None


class RebuildBody(Body):
    """POST /api/instances/{id}/rebuild: exactly one of the three."""

    osTemplate: Optional[OsTemplate] = Field(None, description="name of an OS template")
    snapshotId: Optional[SnapshotId] = Field(None, description="id of an available snapshot of the project, no larger than the disk")
    backupId: Optional[BackupId] = Field(None, description="id of a backup of this instance")


class SnapshotCreate(Body):
    """POST /api/snapshots."""

    projectId: ProjectId
    instanceId: InstanceId = Field(description="the instance to snapshot, of the same project")
    name: Name = Field(description="1-63 of [a-z0-9-], starting with a letter; unique in the project")
    labels: Optional[Labels] = Field(None, description="string keys (1-63 characters) to string values")


class ReverseDnsBody(Body):
    """PUT /api/instances/{id}/reverse-dns: the PTR of one of the instance's addresses."""

    address: StrictStr = Field(description="the instance's ipv4 or ipv6 address")
    ptr: Optional[Ptr] = Field(description="a fully qualified name (<= 253 characters, labels <= 63), or null to clear")


class FloatingIpReverseDns(Body):
    """PUT /api/floating-ips/{id}/reverse-dns."""

    ptr: Optional[Ptr] = Field(description="a fully qualified name (<= 253 characters, labels <= 63), or null to clear")


class PowerAction(Body):
    """POST /api/instances/{id}/power."""

    action: Annotated[StrictStr, AfterValidator(one_of(POWER_ACTIONS))] = Field(description="start, stop, shutdown or reboot")


class ApiKeyCreate(Body):
    """POST /api/api-keys."""

    name: KeyName = Field(description="1-100 characters; need not be unique")
    permissions: Permissions = Field(description='["read"], ["write"] or ["read", "write"]; write implies read')
    expiresAt: Optional[Expiry] = Field(None, description="ISO 8601 time in the future, or null for no expiry")


class SshKeyCreate(Body):
    """POST /api/ssh-keys."""

    projectId: ProjectId
    name: KeyName = Field(description="1-100 characters; unique in the project")
    publicKey: Annotated[StrictStr, AfterValidator(check_public_key)] = Field(
        description="one OpenSSH public key line: ssh-ed25519, ssh-rsa of 2048 bits or more, or ecdsa-sha2-nistp256/384/521")


class FloatingIpCreate(Body):
    """POST /api/floating-ips. labels: [assumed] as on instances (a well-made cloud API labels every resource)."""

    projectId: ProjectId
    nodeId: NodeId
    labels: Optional[Labels] = Field(None, description="string keys (1-63 characters) to string values")
    protection: Optional[DeleteProtection] = Field(None, description="[assumed] {delete}, false by default")


class FloatingIpUpdate(Body):
    """PATCH /api/floating-ips/{id} [assumed]: protection."""

    protection: DeleteProtection = None


class AttachBody(Body):
    """POST /api/floating-ips/{id}/attach and /api/volumes/{id}/attach."""

    instanceId: InstanceId


class VolumeCreate(Body):
    """POST /api/volumes."""

    projectId: ProjectId
    name: Name = Field(description="1-63 of [a-z0-9-], starting with a letter; unique in the project")
    sizeGb: VolumeSize = Field(description="1-10240")
    nodeId: NodeId
    protection: Optional[DeleteProtection] = Field(None, description="[assumed] {delete}, false by default")


class VolumeUpdate(Body):
    """PATCH /api/volumes/{id}: sizeGb only grows; protection [assumed]."""

    sizeGb: VolumeSize = None
    protection: DeleteProtection = None


# -- control bodies --------------------------------------------------------------------------------

class ControlApiKey(ApiKeyCreate):
    """POST /_emulator/api-keys: any expiry (past ones too) and a status."""

    status: Literal["active", "revoked"] = "active"


class FaultRule(Body):
    """POST /_emulator/faults."""

    status: Optional[Annotated[StrictInt, AfterValidator(between(100, 599))]] = 503
    rate: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    count: Optional[Annotated[StrictInt, Field(ge=0)]] = None
    methods: Optional[List[StrictStr]] = None
    pathPrefix: Optional[StrictStr] = None
    delaySeconds: Annotated[float, Field(ge=0.0, le=300.0)] = 0.0
    drop: StrictBool = False
    headers: Dict[str, StrictStr] = {}
    body: Optional[StrictStr] = None
    seed: Optional[StrictInt] = None
    afterAction: StrictBool = False


def sane_seconds(value: float) -> float:
    """A duration or clock move: finite and at most MAX_CLOCK_MOVE (100 years), so the clock stays printable."""
    if not math.isfinite(value) or value > MAX_CLOCK_MOVE:
        raise ValueError("must be a finite number of seconds, at most %d (%d years)" % (MAX_CLOCK_MOVE, MAX_CLOCK_MOVE // YEAR_SECONDS))
    return value


Seconds = AfterValidator(sane_seconds)


class ClockAdvance(Body):
    """POST /_emulator/clock: at most 100 years at a time, and 1000 years ahead in all (Clock.advance checks that)."""

    advanceSeconds: Annotated[float, Field(ge=0.0), Seconds]


class InstanceControl(Body):
    """PATCH /_emulator/instances/{id}."""

    status: Optional[Literal[STATUSES]] = None
    ignoreShutdown: Optional[StrictBool] = None


class ConfigUpdate(Body):
    """PATCH /_emulator/config."""

    rateLimit: Optional[Annotated[StrictInt, Field(ge=1)]] = None
    rateWindow: Optional[Annotated[float, Field(gt=0.0), Seconds]] = None
    provisionSeconds: Optional[Annotated[float, Field(ge=0.0), Seconds]] = None
    transitionSeconds: Optional[Annotated[float, Field(ge=0.0), Seconds]] = None
    clockStepSeconds: Optional[Annotated[float, Field(ge=0.0), Seconds]] = None
    snapshotSeconds: Optional[Annotated[float, Field(ge=0.0), Seconds]] = None


def given(model: BaseModel) -> Dict[str, Any]:
    """The fields a body really carried."""
    return model.model_dump(exclude_unset=True)


class ControlProject(Body):
    """POST /_emulator/projects: a project added at run time."""

    name: Name = Field(description="1-63 of [a-z0-9-], starting with a letter; unique")
