"""Compiles the sandbox's seccomp policy to a BPF program with libseccomp's own Python bindings.

Run by compute.sandbox.seccomp as ``/usr/bin/python3 -I <this file>`` with
the policy as JSON on standard input; writes the program to standard output.
It imports nothing of the project: the bindings (Debian's python3-seccomp)
belong to the system interpreter, not to the project's virtual environment.

The policy is ``{"rules": [[syscall, errno, [[arg, mask, value], ...]], ...]}``:
each rule makes the call fail with that errno when, for every listed
argument, ``arg & mask == value`` (always, with no argument listed).
Calls this architecture does not have are skipped and named on stderr.
"""

from __future__ import annotations

import json
import sys

import seccomp


def _known(name: str) -> bool:
    try:
        return seccomp.resolve_syscall(seccomp.Arch.NATIVE, name) >= 0
    except (ValueError, RuntimeError):
        return False


def main() -> int:
    policy = json.load(sys.stdin)
    syscall_filter = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    skipped = []
    for name, code, conditions in policy["rules"]:
        if not _known(name):
            skipped.append(name)
            continue
        args = [seccomp.Arg(index, seccomp.MASKED_EQ, mask, value) for index, mask, value in conditions]
        syscall_filter.add_rule(seccomp.ERRNO(code), name, *args)
    if skipped:
        print("not on this architecture: " + " ".join(sorted(set(skipped))), file=sys.stderr)
    sys.stdout.flush()
    syscall_filter.export_bpf(sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
