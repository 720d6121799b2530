#!/usr/bin/env python3
"""An inventory script (Ansible's script protocol). With NO_META set it leaves out _meta, and each
host's vars come from --host NAME."""
import json
import os
import sys

HOSTVARS = {
    "app1": {"ansible_host": "192.0.2.71"},
    "app2": {"ansible_host": "192.0.2.72", "ansible_port": 2072},
    "lb1": {"ansible_user": "haproxy"},
}
GROUPS = {
    "app": {"hosts": ["app1", "app2"], "vars": {"ansible_user": "deploy", "ansible_port": 2070}},
    "lb": ["lb1"],
    "prod": {"children": ["app", "lb"], "vars": {"ansible_port": 2000}},
}

if len(sys.argv) == 2 and sys.argv[1] == "--list":
    listing = dict(GROUPS)
    if not os.environ.get("NO_META"):
        listing["_meta"] = {"hostvars": HOSTVARS}
    print(json.dumps(listing))
elif len(sys.argv) == 3 and sys.argv[1] == "--host":
    print(json.dumps(HOSTVARS.get(sys.argv[2], {})))
else:
    sys.exit("usage: inventory.py --list | --host NAME")
