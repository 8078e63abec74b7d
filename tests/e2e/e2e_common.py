"""What the e2e scripts share: the host environment and a digest of a tree
(to prove wasipy test wrote nothing into a project)."""
import hashlib
import os

HOST_ENV = "/usr/lib/python3/dist-packages"


def tree_digest(root):
    h = hashlib.sha256()
    for d, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for f in sorted(files) + [x + "/" for x in dirs]:
            p = os.path.join(d, f.rstrip("/"))
            h.update(os.path.relpath(p, root).encode() + b"\0")
            if not f.endswith("/"):
                with open(p, "rb") as fh:
                    h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()
