"""The shape rules of docs/dev/developing.md, held by a test: modules are declarations, rooms stay small.

- no file of plugins/module_utils is over 400 lines;
- a module has at most ~120 logic lines (docs, docstrings, comments, blanks and imports not counted)
  and overrides at most 3 methods of the driver it builds on;
- nothing under plugins/ implements a cryptographic primitive is held by test_api_keys.
"""

import ast
import io
import os
import tokenize

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(ROOT, "plugins")
DOC_BLOCKS = ("DOCUMENTATION", "EXAMPLES", "RETURN")


def python_files(folder):
    folder = os.path.join(PLUGINS, folder)
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".py"))


def read(path):
    with open(path) as handle:
        return handle.read()


def logic_lines(source):
    """Lines that hold code: not documentation blocks, docstrings, comments, blank lines or imports."""
    tree = ast.parse(source)
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) in DOC_BLOCKS for target in node.targets):
            skipped.update(range(node.lineno, node.end_lineno + 1))
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            skipped.update(range(body[0].lineno, body[0].end_lineno + 1))
    lines = source.splitlines()
    counted = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                          tokenize.ENDMARKER):
            continue
        counted.update(line for line in range(token.start[0], token.end[0] + 1) if line not in skipped)
    return len([line for line in counted if not lines[line - 1].strip().startswith(("from ", "import ", "__metaclass__"))])


def driver_methods():
    """Every method the driver classes of module_utils define (what a module may override)."""
    names = set()
    for path in python_files("module_utils"):
        for node in ast.parse(read(path)).body:
            if isinstance(node, ast.ClassDef) and node.name.startswith("Huc"):
                names.update(item.name for item in node.body if isinstance(item, ast.FunctionDef))
    return names - {"run"}  # run() is what a module that composes the pieces itself implements


def test_no_module_utils_file_is_over_400_lines():
    long = dict((os.path.basename(path), len(read(path).splitlines())) for path in python_files("module_utils"))
    assert long and not [name for name, count in long.items() if count > 400], long


def test_modules_are_declarations():
    methods = driver_methods()
    assert {"refuse", "predict", "patch", "find", "inputs"} <= methods
    problems = []
    for path in python_files("modules"):
        source = read(path)
        name = os.path.basename(path)
        if logic_lines(source) > 120:
            problems.append("%s has %d logic lines" % (name, logic_lines(source)))
        for node in ast.parse(source).body:
            if isinstance(node, ast.ClassDef):
                overridden = [item.name for item in node.body if isinstance(item, ast.FunctionDef) and item.name in methods]
                if len(overridden) > 3:
                    problems.append("%s overrides %s" % (name, ", ".join(overridden)))
    assert not problems, problems


def test_logic_lines_leave_documentation_out():
    """The counter itself: docs, docstrings, comments and imports are not logic."""
    source = 'DOCUMENTATION = r"""\na: 1\n"""\nimport os\n\n\ndef f():\n    """Doc."""\n    # why\n    return os.sep\n'
    assert logic_lines(source) == 2
