"""Breaking a function on purpose, and what really fails: shared by the
precise and static selection tests, which check impact's selection against
the failing set of a real pytest run."""
import re
import subprocess
import sys

BOOM = "raise RuntimeError('broken')"


def break_body(src, header, indent="    "):
    """Insert a raising first statement into the body after `header`."""
    i = src.index(header)
    j = src.index("\n", i) + 1
    return src[:j] + indent + BOOM + "\n" + src[j:]


def failing_files(repo):
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider",
                        "-p", "no:randomly"], cwd=repo.path, env=repo.env, capture_output=True)
    out = r.stdout.decode(errors="replace")
    return sorted({m.group(1) for m in re.finditer(r"^(?:FAILED|ERROR) (\S+?\.py)", out, re.M)})
