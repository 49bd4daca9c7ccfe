#!/usr/bin/env python3
"""cg_self.py - cost per request by function, from a dump of bench/tools/read_profile.sh.

  cg_self.py FILE N [TOP]          the TOP (default 30) functions by their own instructions
  cg_self.py FILE N TOP BEFORE     the same, as differences from dump BEFORE (another build)

FILE is one thread's dump (uncompressed names); N the requests it served. Prints the total
instructions per request, then one line per function: its own instructions (not its callees')
per request.
"""
import collections
import sys


def self_costs(path):
    costs = collections.Counter()
    fn = None
    in_call = False
    for line in open(path, errors="replace"):
        if line.startswith("fn="):
            fn = line[3:].strip()
        elif line.startswith("calls="):
            in_call = True  # the next cost line is the call's, not fn's own
        elif line[:1].isdigit() or line[:1] in "+-*":
            parts = line.split()
            if len(parts) >= 2 and not in_call:
                costs[fn] += int(parts[1])
            if len(parts) >= 2:
                in_call = False
    return costs


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    n = int(argv[2])
    top = int(argv[3]) if len(argv) > 3 else 30
    now = self_costs(argv[1])
    before = self_costs(argv[4]) if len(argv) > 4 else collections.Counter()
    print("per request: %.0f%s" % (sum(now.values()) / n, " (before: %.0f)" %
                                  (sum(before.values()) / n) if before else ""))
    names = sorted(set(now) | set(before), key=lambda f: -abs(now[f] - before[f]))
    for f in names[:top]:
        if before:
            print("%9.0f %9.0f %+9.0f  %s" % (before[f] / n, now[f] / n, (now[f] - before[f]) / n, f))
        else:
            print("%9.0f  %s" % (now[f] / n, f))


if __name__ == "__main__":
    main(sys.argv)
