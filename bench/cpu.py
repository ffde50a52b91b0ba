"""CPU spent while a phase runs: by the gunicorn servers, by PostgreSQL, by this process.

Read from ``/proc`` (utime + stime of every process) before and after the phase; only the
phase's own server is busy during it. Per request or per cycle, these say where a cycle's
time goes, which throughput alone does not.
"""

import os
import resource

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
GROUPS = ("app", "postgres", "load")


def cpu_seconds() -> dict:
    """Seconds of CPU so far: each server and PostgreSQL process's, by pid, and ours."""
    processes = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat_file:
                stat = stat_file.read()
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline_file:
                cmdline = cmdline_file.read()
        except OSError:  # the process ended meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND  # utime, stime
        if b"gunicorn" in cmdline:
            processes[int(entry.name)] = ("app", seconds)
        elif name == "postgres":
            processes[int(entry.name)] = ("postgres", seconds)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"processes": processes, "load": usage.ru_utime + usage.ru_stime}


def add_spent(total: dict[str, float], before: dict) -> None:
    """Add what each group spent since ``before``. A process that ended meanwhile (a
    database connection closed) is left out, rather than subtracting all it had spent."""
    after = cpu_seconds()
    for pid, (group, seconds) in after["processes"].items():
        _, earlier = before["processes"].get(pid, (group, 0.0))
        total[group] += seconds - earlier
    total["load"] += after["load"] - before["load"]
