"""The hostupcloud.cloud.huc inventory plugin through ansible-inventory, against the emulator."""

import json
import os

import pytest
import yaml

from tests.functional.playbook import BIN, ROOT, run_command, work_dir

SEED = {"seed_projects": 3, "seed_instances": 300}
BAD_KEY = "huc_" + "Zz9" * 13 + "z"
# Without this, ansible-inventory only warns about a source it could not parse and exits 0.
FAIL_UNPARSED = {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}


def plain(value):
    """ansible-inventory --list marks untrusted strings as {"__ansible_unsafe": ...} (core 2.19); unwrap them."""
    if isinstance(value, dict):
        if list(value) == ["__ansible_unsafe"]:
            return value["__ansible_unsafe"]
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory(emulator, config=None, args=("--list",), key=None, env=None, source=None, workdir=None):
    """Run ansible-inventory on source, or a huc.yml written from config; run.data is the parsed --list."""
    workdir = workdir or work_dir("inv-")
    path = source or os.path.join(workdir, "huc.yml")
    if not source:
        with open(path, "w") as handle:
            yaml.safe_dump(dict({"plugin": "hostupcloud.cloud.huc"}, **(config or {})), handle, sort_keys=False)
    run = run_command([os.path.join(BIN, "ansible-inventory"), "-i", path] + list(args),
                      emulator=emulator, key=key, env=dict(FAIL_UNPARSED, **(env or {})), workdir=workdir)
    run.data = plain(json.loads(run.stdout)) if run.rc == 0 and "--list" in args else None
    return run


def hosts_of(run, group):
    return sorted(run.data.get(group, {}).get("hosts", []))


def listing(emulator):
    """The request log as (method, path, query with sorted parameters and without perPage=100)."""
    def query(text):
        return "&".join(sorted(part for part in text.split("&") if part != "perPage=100"))
    return [(r["method"], r["path"], query(r["query"])) for r in emulator.requests()]


def budget(projects, with_project_list=True, pages=None):
    """The requests the plugin may make: project list, node list, then each project's pages."""
    expected = [("GET", "/api/projects", "page=1")] if with_project_list else []
    expected.append(("GET", "/api/nodes", "page=1"))
    for project in projects:
        for page in range(1, (pages or {}).get(project, 1) + 1):
            expected.append(("GET", "/api/instances", "page=%d&projectId=%s" % (page, project)))
    return expected


def expected_hostvars(state, instance):
    projects = dict((p["id"], p["name"]) for p in state["projects"])
    nodes = dict((n["id"], n["name"]) for n in state["nodes"])
    values = {
        "id": instance["id"], "name": instance["name"], "project_id": instance["projectId"],
        "project": projects[instance["projectId"]], "node_id": instance["nodeId"], "node": nodes[instance["nodeId"]],
        "os_template": instance["osTemplate"], "vcpus": instance["vcpus"], "memory_mb": instance["memoryMb"],
        "disk_gb": instance["diskGb"], "status": instance["status"], "ipv4": instance["ipv4"],
        "ipv6": instance["ipv6"], "ipv6_prefix": instance["ipv6Prefix"], "labels": instance["labels"],
        "protection": instance["protection"], "created_at": instance["createdAt"],
    }
    hostvars = dict(("huc_" + k, v) for k, v in values.items())
    hostvars["ansible_host"] = instance["ipv4"]
    return hostvars


@pytest.fixture
def seeded(emulator_factory):
    return emulator_factory(**SEED)


def project_ids(state):
    """Every project id, in the API's order (default first, then project-01..03)."""
    return [p["id"] for p in state["projects"]]


def test_list_and_graph_hold_every_instance_with_its_variables_and_groups(seeded):
    state = seeded.state()
    run = inventory(seeded)
    assert run.rc == 0, run
    instances = state["instances"]
    assert len(instances) == 300
    hostvars = run.data["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(i["name"] for i in instances)
    for instance in instances:
        assert hostvars[instance["name"]] == expected_hostvars(state, instance), instance["name"]
    assert hosts_of(run, "huc") == sorted(hostvars)
    assert hosts_of(run, "huc_status_running") == sorted(hostvars)
    for project in state["projects"]:
        group = "huc_project_" + project["name"].replace("-", "_")
        members = sorted(i["name"] for i in instances if i["projectId"] == project["id"])
        assert hosts_of(run, group) == members, group
        assert len(members) == (0 if project["name"] == "default" else 100)
    for node in state["nodes"]:
        group = "huc_node_" + node["name"].replace("-", "_")
        assert hosts_of(run, group) == sorted(i["name"] for i in instances if i["nodeId"] == node["id"])
        assert hosts_of(run, group), group
    # The budget: project list, node list, one page of 100 per project (also the empty default).
    assert listing(seeded) == budget(project_ids(state))

    # The example inventory/huc.yml, with HUC_API_URL and HUC_API_KEY from the environment.
    seeded.clear_requests()
    graph = inventory(seeded, args=["--graph"], source=os.path.join(ROOT, "inventory", "huc.yml"))
    assert graph.rc == 0, graph
    lines = graph.stdout.splitlines()
    for line in ("  |--@huc:", "  |  |--web-0001", "  |--@huc_project_project_01:", "  |  |--cache-0300",
                 "  |--@huc_status_running:", "  |--@huc_node_fra1_n1:", "  |--@label_role_web:",
                 "  |--@label_env_staging:", "  |--@large:"):
        assert line in lines, line
    assert listing(seeded) == budget(project_ids(state))


def test_constructable_filters_and_status(seeded):
    state = seeded.state()
    by_name = dict((i["name"], i) for i in state["instances"])
    for name in ("db-0002", "cache-0003", "db-0005"):
        seeded.set_instance(by_name[name]["id"], status="stopped")
    seeded.set_instance(by_name["cache-0006"]["id"], status="error")
    seeded.clear_requests()
    run = inventory(seeded, {
        "status": ["running", "stopped"],
        "filters": ["huc_vcpus >= 2", "huc_labels.env == 'prod'"],
        "compose": {"ansible_user": "'admin'", "doubled_vcpus": "huc_vcpus * 2"},
        "keyed_groups": [{"key": "huc_labels.role", "prefix": "role"}, {"key": "huc_labels", "prefix": "label"}],
        "groups": {"big": "huc_memory_mb >= 4096"},
        "strict": True,
    })
    assert run.rc == 0, run
    state = seeded.state()
    kept = [i for i in state["instances"]
            if i["status"] in ("running", "stopped") and i["vcpus"] >= 2 and i["labels"]["env"] == "prod"]
    assert sorted(run.data["_meta"]["hostvars"]) == sorted(i["name"] for i in kept)
    assert "cache-0006" not in run.data["_meta"]["hostvars"]  # error: left out by status
    assert "db-0002" in run.data["_meta"]["hostvars"] and "web-0001" not in run.data["_meta"]["hostvars"]
    assert hosts_of(run, "huc_status_stopped") == ["cache-0003", "db-0002"]  # db-0005: env staging
    for instance in kept:
        variables = run.data["_meta"]["hostvars"][instance["name"]]
        assert variables["ansible_user"] == "admin" and variables["doubled_vcpus"] == 2 * instance["vcpus"]
    for role in ("db", "cache"):
        assert hosts_of(run, "role_" + role) == sorted(i["name"] for i in kept if i["labels"]["role"] == role)
        assert hosts_of(run, "label_role_" + role) == hosts_of(run, "role_" + role)
    assert hosts_of(run, "label_env_prod") == sorted(i["name"] for i in kept)
    assert hosts_of(run, "big") == sorted(i["name"] for i in kept if i["memoryMb"] >= 4096)
    assert hosts_of(run, "role_web") == [] and hosts_of(run, "label_env_staging") == []
    # Several states are filtered here: the same pages as without a filter.
    assert listing(seeded) == budget(project_ids(state))

    seeded.clear_requests()
    single = inventory(seeded, {"status": ["stopped"]})
    assert single.rc == 0, single
    assert sorted(single.data["_meta"]["hostvars"]) == ["cache-0003", "db-0002", "db-0005"]
    # One state is filtered by the API.
    assert [q for _m, path, q in listing(seeded) if path == "/api/instances"] == [
        "page=1&projectId=%s&status=stopped" % pid for pid in project_ids(state)]

    # A template that fails: one warning, not one per host; with strict, a failure naming the option.
    lenient = inventory(seeded, {"projects": ["project-01"], "filters": ["huc_nope > 1"]})
    assert lenient.rc == 0, lenient
    assert lenient.data["_meta"]["hostvars"] == {}
    assert lenient.stderr.count("filters: 'huc_nope > 1' failed for") == 1
    strict = inventory(seeded, {"projects": ["project-01"], "hostname": "{{ huc_nope }}", "strict": True})
    assert strict.rc != 0
    assert "hostupcloud.cloud.huc inventory: hostname: '{{ huc_nope }}' failed for web-0001" in strict.stderr


def test_cache_hit_makes_no_request_and_flush_cache_refetches(seeded):
    cache_dir = work_dir("inv-cache-")
    config = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": cache_dir}
    workdir = work_dir("inv-")
    state = seeded.state()
    first = inventory(seeded, config, workdir=workdir)
    assert first.rc == 0, first
    assert listing(seeded) == budget(project_ids(state))
    assert len(os.listdir(cache_dir)) == 1

    seeded.clear_requests()
    second = inventory(seeded, config, workdir=workdir)
    assert second.rc == 0, second
    assert seeded.requests() == []
    assert second.data == first.data and len(second.data["_meta"]["hostvars"]) == 300

    flushed = inventory(seeded, config, args=["--list", "--flush-cache"], workdir=workdir)
    assert flushed.rc == 0, flushed
    assert listing(seeded) == budget(project_ids(state))
    assert flushed.data == first.data

    # Another project selection in the same file is another cache entry, not a stale hit.
    seeded.clear_requests()
    narrowed = inventory(seeded, dict(config, projects=["project-01"]), workdir=workdir)
    assert narrowed.rc == 0, narrowed
    assert len(narrowed.data["_meta"]["hostvars"]) == 100
    assert listing(seeded) == budget([project_ids(state)[1]])


def test_same_name_in_two_projects_stays_two_hosts_and_is_reported(seeded):
    state = seeded.state()
    pids = project_ids(state)
    status, _headers, body = seeded.call("POST", "/instances", body={
        "projectId": pids[2], "name": "web-0001", "nodeId": seeded.node_id, "osTemplate": seeded.os_template,
        "vcpus": 1, "memoryMb": 1024, "diskGb": 20})
    assert status == 201, body
    seeded.clear_requests()
    run = inventory(seeded)
    assert run.rc == 0, run
    hostvars = run.data["_meta"]["hostvars"]
    assert len(hostvars) == 301 and "web-0001" not in hostvars
    assert hostvars["web-0001_project-01"]["huc_project"] == "project-01"
    assert hostvars["web-0001_project-02"]["huc_id"] == body["data"]["id"]
    assert hostvars["web-0001_project-02"]["huc_name"] == "web-0001"
    assert "2 instances have the hostname 'web-0001'" in run.stderr
    assert "web-0001_project-01, web-0001_project-02" in run.stderr
    # project-02 now holds 101 instances: two pages.
    assert listing(seeded) == budget(pids, pages={pids[2]: 2})


def test_key_from_an_extra_var_template_and_projects_by_id(seeded):
    state = seeded.state()
    pids = project_ids(state)
    config = {"api_key": "{{ my_huc_key }}", "projects": [pids[1], pids[3]],
              "hostvars_prefix": "hu_", "hostvars_suffix": "_x", "connect_with": ["name"],
              "hostname": "{{ hu_name_x }}.{{ hu_node_x }}"}
    env = {"HUC_API_URL": seeded.api_url}  # and no HUC_API_KEY
    run = inventory(None, config, args=["--list", "-e", "my_huc_key=" + seeded.read_key], env=env)
    assert run.rc == 0, run
    hostvars = run.data["_meta"]["hostvars"]
    assert len(hostvars) == 200
    web = [i for i in state["instances"] if i["name"] == "web-0001"][0]
    nodes = dict((n["id"], n["name"]) for n in state["nodes"])
    host = hostvars["web-0001.%s" % nodes[web["nodeId"]]]
    assert host["ansible_host"] == "web-0001" and host["hu_id_x"] == web["id"]
    # Ids only: no project list, and the id stands in for the project name.
    assert host["hu_project_x"] == pids[1] and hosts_of(run, "huc_project_" + pids[1].replace("-", "_"))
    assert listing(seeded) == budget([pids[1], pids[3]], with_project_list=False)
    assert set(r["keyPrefix"] for r in seeded.requests()) == {seeded.read_key[:8]}
    # ansible-inventory itself lists extra vars among every host's vars; the plugin adds it nowhere else.
    assert seeded.read_key not in run.stderr
    assert all(seeded.read_key not in json.dumps(dict(h, my_huc_key=None)) for h in hostvars.values())

    seeded.clear_requests()
    by_name = inventory(seeded, {"projects": ["project-02", pids[3]], "connect_with": ["ipv6", "ipv4"]})
    assert by_name.rc == 0, by_name
    hostvars = by_name.data["_meta"]["hostvars"]
    assert len(hostvars) == 200 and set(h["huc_project"] for h in hostvars.values()) == {"project-02", "project-03"}
    # Seeded instances alternate with and without IPv6: IPv6 first, else the IPv4 address.
    assert all(h["ansible_host"] == (h["huc_ipv6"] or h["huc_ipv4"]) for h in hostvars.values())
    assert sum(1 for h in hostvars.values() if h["huc_ipv6"] is None and h["ansible_host"] == h["huc_ipv4"]) == 100
    assert listing(seeded) == budget([pids[2], pids[3]])


def test_bad_key_url_or_project_fail_cleanly_without_secrets(emulator):
    bad = inventory(emulator, key=BAD_KEY, args=["--list", "-vvvv"])
    assert bad.rc != 0
    assert "hostupcloud.cloud.huc inventory: the API key was not accepted (invalid_api_key)" in bad.stderr
    assert "Traceback" not in bad.output
    assert BAD_KEY not in bad.output and emulator.write_key not in bad.output
    assert [r["status"] for r in emulator.requests()] == [401]

    emulator.clear_requests()
    remote = inventory(emulator, {"api_url": "http://huc-console.invalid/api"}, args=["--list", "-vvvv"])
    assert remote.rc != 0 and "refusing to send the API key over plain http://" in remote.stderr
    assert "Traceback" not in remote.output and emulator.write_key not in remote.output
    assert emulator.requests() == []

    unknown = inventory(emulator, {"projects": ["nope"]})
    assert unknown.rc != 0
    assert "projects: project 'nope' not found (by id or name); known: default" in unknown.stderr

    missing = inventory(None, env={"HUC_API_URL": emulator.api_url})
    assert missing.rc != 0 and "no API key given: set api_key or the HUC_API_KEY" in missing.stderr


def test_the_shared_budget_keeps_the_inventory_under_the_limit_and_unpaced_429s_are_waited_out(emulator_factory, tmp_path):
    """Paced at the emulator's scaled limit, the inventory draws no 429 at all, even when the API counts a request
    late; without pacing (rate_limit 0) the plugin runs into the limit and waits out its 429s."""
    limited = emulator_factory(rate_limit=4, rate_window=2, **SEED)
    # The first request reaches the API's count 1 s after it was sent, as on a busy server or a slow network (a
    # loaded CI machine did it by ~0.1 s): its token comes back a window after its answer, not after its send,
    # else the fifth request would meet four in the API's window.
    limited.fault(status=None, delaySeconds=1, methods=["GET"], pathPrefix="/api/", count=1)
    run = inventory(limited, {"rate_limit": 4}, env={"HUC_RATE_LIMIT_WINDOW": "2", "HUC_RATE_LIMIT_DIR": str(tmp_path)})
    assert run.rc == 0, run
    assert len(run.data["_meta"]["hostvars"]) == 300
    assert [r["status"] for r in limited.requests()] == [200] * 6

    assert limited.requests()[0].get("delaySeconds") == 1
    limited.advance(2)  # the paced run's requests leave the API's window: the unpaced run starts as on a fresh one
    limited.clear_requests()
    run = inventory(limited, {"rate_limit": 0})
    assert run.rc == 0, run
    assert len(run.data["_meta"]["hostvars"]) == 300
    statuses = [r["status"] for r in limited.requests()]
    assert 429 in statuses
    assert [r for r in limited.requests() if r["status"] == 200] and statuses.count(200) == 6


def test_attachments_cost_one_list_per_project_and_kind_and_none_for_a_project_without_instances(emulator_factory):
    """huc_floating_ips and huc_volumes come from one listing per project per kind, only when asked for;
    a project without instances (default here) costs only its instance listing."""
    emulator = emulator_factory(seed_projects=2, seed_instances=6)
    state = emulator.state()
    instances = sorted(state["instances"], key=lambda i: i["name"])
    first, second = instances[0], instances[1]

    def made(path, body):
        status, _headers, answer = emulator.call("POST", path, body=body)
        assert status == 201, answer
        return answer["data"]

    def attach(path, item, instance):
        status, _headers, answer = emulator.call("POST", "%s/%s/attach" % (path, item["id"]),
                                                 body={"instanceId": instance["id"]})
        assert status == 200, answer

    ips = [made("/floating-ips", {"projectId": first["projectId"], "nodeId": first["nodeId"]}) for _ip in range(2)]
    for ip in ips:
        attach("/floating-ips", ip, first)
    volume = made("/volumes", {"projectId": second["projectId"], "name": "data", "sizeGb": 50, "nodeId": second["nodeId"]})
    attach("/volumes", volume, second)
    emulator.clear_requests()

    run = inventory(emulator, {"attachments": ["floating_ips", "volumes"]})
    assert run.rc == 0, run.output
    hostvars = run.data["_meta"]["hostvars"]
    assert sorted(hostvars[first["name"]]["huc_floating_ips"]) == sorted(ip["address"] for ip in ips)
    assert hostvars[first["name"]]["huc_volumes"] == []
    assert hostvars[second["name"]]["huc_volumes"] == [{"id": volume["id"], "name": "data", "size_gb": 50}]
    assert hostvars[second["name"]]["huc_floating_ips"] == []
    projects = [p["id"] for p in state["projects"]]  # "default" too, with no instance
    occupied = set(i["projectId"] for i in state["instances"])  # only these list their attachments
    assert 0 < len(occupied) < len(projects)
    extra = [(method, path) for method, path, _query in listing(emulator) if path in ("/api/floating-ips", "/api/volumes")]
    assert sorted(extra) == sorted([("GET", "/api/floating-ips"), ("GET", "/api/volumes")] * len(occupied))
    assert len(listing(emulator)) == len(budget(projects)) + 2 * len(occupied), listing(emulator)

    emulator.clear_requests()
    run = inventory(emulator, {})
    assert run.rc == 0, run.output
    assert "huc_floating_ips" not in run.data["_meta"]["hostvars"][first["name"]]
    assert not [r for r in emulator.requests() if r["path"] in ("/api/floating-ips", "/api/volumes")]

    # No instance listed, no host to attach anything to: no attachment listing for that project.
    state = emulator.state()
    empty = [p["id"] for p in state["projects"] if not any(i["projectId"] == p["id"] for i in state["instances"])]
    occupied = [p["id"] for p in state["projects"] if p["id"] not in empty]
    assert empty and occupied
    emulator.clear_requests()
    run = inventory(emulator, {"attachments": ["floating_ips", "volumes", "private_networks"]})
    assert run.rc == 0, run.output
    for project in empty:
        assert [r for r in listing(emulator) if "projectId=" + project in r[2]] == [
            ("GET", "/api/instances", "page=1&projectId=" + project)]
    for project in occupied:
        assert sorted(r[1] for r in listing(emulator) if "projectId=" + project in r[2]) == [
            "/api/floating-ips", "/api/instances", "/api/networks", "/api/volumes"]
    # The same with a status filter that lists no instance anywhere: only the instance listings.
    emulator.clear_requests()
    run = inventory(emulator, {"attachments": ["floating_ips"], "status": ["error"]})
    assert run.rc == 0, run.output
    assert [r[1] for r in listing(emulator) if "projectId=" in r[2]] == ["/api/instances"] * len(state["projects"])
