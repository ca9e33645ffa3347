"""The gateway's routes (deploy/gateway/nginx.conf), written from the manifest.

nginx.conf is hand-written but for one block between two marker comments: per
service, a `location` for each of its route prefixes and for its OpenAPI
document, AsyncAPI document and Swagger UI. That block repeats the manifest
line for line, so it is generated (`make gateway`) rather than kept in step by
hand; tests/test_compose.py fails when the committed file is not current.
"""

from __future__ import annotations

from pathlib import Path

from opp_devstack import manifest
from opp_devstack.common import REPO_ROOT, StackError, say

NGINX_CONF = REPO_ROOT / "deploy" / "gateway" / "nginx.conf"
BEGIN = "# ---- generated from services/manifest.toml by `make gateway`: edit the manifest, not the lines below ----"
END = "# ---- end of the generated lines ----"


def locations(indent: str) -> list[str]:
    """The generated lines: one group per service, in the manifest's order."""
    lines: list[str] = []
    for name, service in manifest.services().items():
        upstream = f"http://{name}:{manifest.CONTAINER_PORT}"
        lines += ["", f"# {name}"]
        lines += [f"location {prefix} {{ proxy_pass {upstream}$request_uri; }}" for prefix in service.routes]
        lines += [
            f"location = /{name}/openapi.json {{ proxy_pass {upstream}/openapi.json$is_args$args; }}",
            f"location = /{name}/asyncapi.json {{ proxy_pass {upstream}/asyncapi.json; }}",
            f"location = /{name}/docs {{ proxy_pass {upstream}/docs$is_args$args; "
            f"sub_filter \"'/openapi.json'\" \"'/{name}/openapi.json'\"; }}",
        ]
    return [indent + line if line else line for line in lines[1:]]


def render(text: str, path: Path = NGINX_CONF) -> str:
    """`text` (nginx.conf) with the lines between the markers written anew."""
    lines = text.splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() in (BEGIN, END)]
    if len(marks) != 2 or lines[marks[0]].strip() != BEGIN:
        raise StackError(f"{path} needs the two marker lines, once each and in order:\n{BEGIN}\n{END}")
    begin, end = marks
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    return "\n".join([*lines[: begin + 1], *locations(indent), *lines[end:]]) + "\n"


def write(path: Path = NGINX_CONF) -> None:
    text = path.read_text()
    new = render(text, path)
    if new == text:
        say(f"{path.relative_to(REPO_ROOT)} is current")
        return
    path.write_text(new)
    say(f"wrote {path.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    write()
