"""The module shape of docs/modules.md as a checker: ``problems(folder, key)`` lists every way a
module's package breaks it (empty when it holds). It reads the source files only, so the same
checker judges the installed modules and a deliberately broken one built in a test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

#: Files every module has at its top.
REQUIRED = ("__init__.py", "models.py", "schemas.py", "service.py")
#: Folders that hold no Python of the module's roles.
RESOURCES = frozenset({"migrations", "templates", "static", "locale", "__pycache__"})
#: The HTTP side: routers (a file or a package) and the request helpers both share.
HTTP_FILE = re.compile(r"^(api|pages)(_[a-z0-9_]+)?\.py$|^web\.py$")
HTTP_PACKAGES = frozenset({"api", "pages"})
WEB_FRAMEWORKS = frozenset({"fastapi", "starlette"})
#: Calls that run SQL: statement builders and the session's executing methods.
SQL_BUILDERS = frozenset({"select", "insert", "update", "delete"})
SQL_METHODS = frozenset({"execute", "scalar", "scalars"})


def problems(folder: Path, key: str, package: str) -> list[str]:
    """Every break of the shape in the module ``package`` (its files in ``folder``) whose key
    is ``key``."""
    found: list[str] = []
    found += _missing(folder, REQUIRED)
    if not (folder / "api.py").is_file() and not (folder / "api" / "__init__.py").is_file():
        found.append("lacks api.py (or an api/ package)")
    if "MODULE" not in _assigned_names(folder / "__init__.py"):
        found.append("__init__.py does not assign MODULE")
    for sub in _sub_packages(folder):
        found += [f"{sub.name}/: {p}" for p in _missing(sub, ("__init__.py", "service.py"))]
    for source in sorted(folder.rglob("*.py")):
        relative = source.relative_to(folder)
        if RESOURCES.intersection(relative.parts[:-1]):
            continue
        tree = ast.parse(source.read_text(), filename=str(source))
        found += [f"{relative}: {p}" for p in _file_problems(relative, tree, key, package)]
    return found


def _file_problems(relative: Path, tree: ast.Module, key: str, package: str) -> list[str]:
    found: list[str] = []
    http = _is_http(relative)
    if relative.name == "__init__.py" and not http:
        found += [f"defines {name} (an __init__ only wires)" for name in _definitions(tree)]
    for table in _table_names(tree):
        if relative.name != "models.py":
            found.append(f"defines table {table!r} outside models.py")
        if not table.startswith(f"{key}_"):
            found.append(f"table {table!r} is not named {key}_*")
    for name in _imports(tree):
        top = name.split(".")[0]
        own = name == package or name.startswith(f"{package}.")
        if top == "allmende" and not own and name.split(".")[:2] != ["allmende", "sdk"]:
            found.append(f"imports {name} (a module imports only allmende.sdk)")
        if not http and name.split(".")[0] in WEB_FRAMEWORKS:
            found.append(f"imports {name} (only api, pages and web know HTTP)")
    if http:
        found += [f"line {line}: runs SQL ({call}); call a service" for line, call in _sql(tree)]
    return found


def _is_http(relative: Path) -> bool:
    return bool(HTTP_PACKAGES.intersection(relative.parts[:-1])) or bool(
        HTTP_FILE.match(relative.name)
    )


def _missing(folder: Path, names: tuple[str, ...]) -> list[str]:
    return [f"lacks {name}" for name in names if not (folder / name).is_file()]


def _sub_packages(folder: Path) -> list[Path]:
    return [
        path.parent
        for path in sorted(folder.rglob("__init__.py"))
        if path.parent != folder
        and not RESOURCES.intersection(path.parent.relative_to(folder).parts)
        and not HTTP_PACKAGES.intersection(path.parent.relative_to(folder).parts)
    ]


def _assigned_names(source: Path) -> set[str]:
    if not source.is_file():
        return set()
    tree = ast.parse(source.read_text())
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }


def _definitions(tree: ast.Module) -> list[str]:
    kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    return [node.name for node in tree.body if isinstance(node, kinds)]


def _table_names(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            names.append(node.value.value)
        if (  # SQLAlchemy's Table("name", metadata, ...), not another class of that name
            isinstance(node, ast.Call)
            and _called_name(node) == "Table"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and _names_metadata(node.args[1])
        ):
            names.append(node.args[0].value)
    return names


def _imports(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _sql(tree: ast.Module) -> list[tuple[int, str]]:
    """One entry per line that runs SQL."""
    calls: dict[int, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in SQL_BUILDERS:
            calls.setdefault(node.lineno, f"{node.func.id}()")
        elif isinstance(node.func, ast.Attribute) and node.func.attr in SQL_METHODS:
            calls.setdefault(node.lineno, f".{node.func.attr}()")
    return sorted(calls.items())


def _names_metadata(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "metadata") or (
        isinstance(node, ast.Attribute) and node.attr == "metadata"
    )


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None
