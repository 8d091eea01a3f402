"""Make ansible_collections.hostupcloud.cloud importable under plain pytest.

ansible-test units sets this up itself; plain pytest from a checkout whose root is the collection
root needs the plugin loader pointed at a symlink farm (see ../shared/RECIPES.md c).
"""

import os
import tempfile

try:
    from ansible.utils.collection_loader import AnsibleCollectionConfig
    from ansible.plugins.loader import init_plugin_loader
except ImportError:  # ansible-test's "modules" context has ansible.module_utils only
    AnsibleCollectionConfig = None


def _collections_root():
    here = os.path.realpath(os.path.dirname(__file__))
    root = os.path.dirname(os.path.dirname(here))
    parts = root.split(os.sep)
    if len(parts) >= 3 and parts[-3] == "ansible_collections":
        return os.sep.join(parts[:-3])
    farm = tempfile.mkdtemp(prefix="huc-collections-")
    os.makedirs(os.path.join(farm, "ansible_collections", "hostupcloud"))
    os.symlink(root, os.path.join(farm, "ansible_collections", "hostupcloud", "cloud"))
    return farm


if AnsibleCollectionConfig is not None and AnsibleCollectionConfig.collection_finder is None:
    init_plugin_loader([_collections_root()])
