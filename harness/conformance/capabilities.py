"""Derive Ably's SDK capabilities manifest (.ably/capabilities.yaml) from passing IDs.

The node tree comes from ../shared/upstream/features/sdk.yaml (Ably's canonical
feature list). harness/feature_map.yaml says, per node, which spec items must
pass for the node to count as supported (`.requires`): `ID` is that item,
`ID*` the item and everything nested under it (live items only; items listed
not applicable are left out, but at least one required item must pass).

A node is declared when
  - it has requirements, they are met, and its parent is declared (or is a
    grouping node); or
  - it has no requirements of its own (a grouping node such as a Heading) and
    at least one of its children is declared.
A leaf with an empty `.requires` is never declared: the map says why in `.note`.
"""
from . import miniyaml

COMMON_VERSION = "1.2.1"   # ably/features tag the shared sdk.yaml is based on


def feature_nodes(tree, path=()):
    """[(path tuple, node dict)] for every feature node (keys not starting with '.')."""
    out = []
    for key, value in (tree or {}).items():
        if key.startswith("."):
            continue
        out.append((path + (key,), value or {}))
        out.extend(feature_nodes(value or {}, path + (key,)))
    return out


def load_map(path, sdk_tree, spec):
    """({path: [live IDs] or None}, [problems]). None marks a grouping node."""
    problems, requirements = [], {}
    fmap = miniyaml.load_file(path) or {}
    sdk_paths = [p for p, _ in feature_nodes(sdk_tree)]
    map_nodes = dict(feature_nodes(fmap))
    for extra in sorted(set(map_nodes) - set(sdk_paths)):
        problems.append(f"{path}: {' / '.join(extra)} is not a node of sdk.yaml")
    for node_path in sdk_paths:
        node = map_nodes.get(node_path)
        if node is None or ".requires" not in node:
            problems.append(f"{path}: {' / '.join(node_path)}: missing `.requires:`")
            continue
        wanted = node[".requires"]
        if wanted is None:
            requirements[node_path] = None           # grouping node
            continue
        ids = []
        for pattern in (wanted if isinstance(wanted, list) else [wanted]):
            try:
                ids.extend(i for i in spec.expand(str(pattern)) if i not in ids)
            except ValueError as exc:
                problems.append(f"{path}: {' / '.join(node_path)}: {exc}")
        if not ids and not node.get(".note"):
            problems.append(f"{path}: {' / '.join(node_path)}: empty `.requires` needs a `.note` saying why")
        requirements[node_path] = ids
    return requirements, problems


def declared_nodes(requirements, passing, not_applicable):
    """The set of node paths declared, given the passing and not-applicable IDs."""
    own = {}
    for path, ids in requirements.items():
        if ids is None:
            continue
        needed = [i for i in ids if i not in not_applicable]
        own[path] = bool(needed) and all(i in passing for i in needed)
    declared = set()
    # Parents before children (sdk.yaml order), then grouping nodes bottom-up.
    for path in requirements:
        if requirements[path] is None:
            continue
        parent = path[:-1]
        parent_ok = not parent or parent in declared or requirements.get(parent, 0) is None
        if own[path] and parent_ok:
            declared.add(path)
    for path in sorted((p for p, ids in requirements.items() if ids is None), key=len, reverse=True):
        if any(d[:len(path)] == path and len(d) > len(path) for d in declared):
            declared.add(path)
    # Every ancestor must be declared too (a grouping node under a failed parent drops out).
    return {p for p in declared if all(p[:n] in declared for n in range(1, len(p)))}


def render_manifest(sdk_tree, declared, spec_version, committed=True):
    source = ("harness/baseline.json" if committed else "the passing IDs of one test run")
    lines = ["%YAML 1.2", "---",
             f"# Derived by harness/report.py from {source} and harness/feature_map.yaml",
             f"# (features spec {spec_version})." + (" Do not edit: run harness/report.py --update-baseline."
                                                    if committed else ""),
             f"common-version: {COMMON_VERSION}", "compliance:"]
    count = 0
    for path, _ in feature_nodes(sdk_tree):
        if path in declared:
            lines.append("  " * len(path) + f"{path[-1]}:")
            count += 1
    if not count:
        lines[-1] = "compliance: {}"
    return "\n".join(lines) + "\n"


def summary(sdk_tree, declared):
    total = len(feature_nodes(sdk_tree))
    return {"declared": len(declared), "nodes": total,
            "declared_nodes": [" / ".join(p) for p, _ in feature_nodes(sdk_tree) if p in declared]}
