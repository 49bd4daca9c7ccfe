# sandbox_driver.py - the Python process inside each code_interpreter sandbox (see sandbox.h).
#
# Built into assistd and started by bubblewrap as `python3 -I -u -c <this file> CPU WALL NPROC`.
# It talks to the server over the socket on fd 3 in frames (4-byte big-endian length, then
# the payload): first it sends "ready" with a descriptor of /mnt/data attached, then for each
# request (Python source) it runs the code in one persistent namespace and answers with a JSON
# object. The code's stdout and stderr (fds 1 and 2) go straight to the server, which keeps
# and caps them; tracebacks are printed there too. It enforces nothing the server relies on:
# the server bounds wall time, output and /mnt/data itself, and the kernel the rest.
import json
import os
import resource
import select
import signal
import socket
import sys
import time
import traceback
import types
import linecache
import importlib.abc
import importlib.util

CPU_S, WALL_S, NPROC = (int(a) for a in sys.argv[1:4])
BACKEND = "assistd_sandbox_backend"
chan = socket.socket(fileno=3)
MAIN_PID = os.getpid()
cells = 0
figures = []


class Limit(BaseException):
	"""Raised into the code when a per-call limit hits; BaseException so `except Exception`
	in the code does not swallow it."""


def on_cpu(signum, frame):
	raise Limit("CPU time limit exceeded (%d s per call)" % CPU_S)


def on_wall(signum, frame):
	raise Limit("wall time limit exceeded (%d s per call)" % WALL_S)


def save_figures():
	"""Every open matplotlib figure becomes /mnt/data/figure-N.png, then is closed."""
	if "matplotlib.pyplot" not in sys.modules:
		return
	from matplotlib import _pylab_helpers
	for manager in _pylab_helpers.Gcf.get_all_fig_managers():
		n = len(figures) + 1
		while os.path.exists("/mnt/data/figure-%d.png" % n):
			n += 1
		name = "figure-%d.png" % n
		manager.canvas.figure.savefig("/mnt/data/" + name, format="png")
		figures.append(name)
	_pylab_helpers.Gcf.destroy_all()


BACKEND_SOURCE = """
from matplotlib.backends.backend_agg import FigureCanvasAgg as FigureCanvas
from matplotlib.backend_bases import FigureManagerBase as FigureManager

def show(*args, **kwargs):
	_save()
"""


class BackendLoader(importlib.abc.Loader, importlib.abc.MetaPathFinder):
	"""Serves MPLBACKEND=module://assistd_sandbox_backend: Agg, with show() saving PNGs."""

	def find_spec(self, name, path=None, target=None):
		if name != BACKEND:
			return None
		return importlib.util.spec_from_loader(name, self)

	def create_module(self, spec):
		return None

	def exec_module(self, module):
		module._save = save_figures
		exec(BACKEND_SOURCE, module.__dict__)


def send(obj):
	data = json.dumps(obj).encode()
	chan.sendall(len(data).to_bytes(4, "big") + data)


def recv_exact(n):
	"""Waits for the server, and for signals: SIGXCPU may go to a thread the code left
	running, and only the wake-up pipe brings its handler to this (the main) thread."""
	data = b""
	while len(data) < n:
		ready = select.select([chan, wake_r], [], [])[0]
		if wake_r in ready:
			os.read(wake_r, 512)  # the handler runs now, in this thread
		if chan not in ready:
			continue
		part = chan.recv(n - len(data))
		if not part:
			sys.exit(0)
		data += part
	return data


def arm(wall):
	"""The CPU budget from now on (a soft RLIMIT_CPU CPU_S seconds above what the session has
	used) and a wall-clock alarm (0: none). Both raise Limit in the code. Between calls the
	budget stays armed: a thread the code left spinning gets it raised in the driver's main
	loop, which ends the session."""
	used = resource.getrusage(resource.RUSAGE_SELF)
	spent = int(used.ru_utime + used.ru_stime) + 1
	hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
	resource.setrlimit(resource.RLIMIT_CPU, (spent + CPU_S, hard))
	signal.setitimer(signal.ITIMER_REAL, wall)


def cpu_seconds():
	"""CPU time of the driver and the children it has collected."""
	own = resource.getrusage(resource.RUSAGE_SELF)
	kids = resource.getrusage(resource.RUSAGE_CHILDREN)
	return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def others():
	"""Processes of the sandbox other than bubblewrap's init (1) and the driver."""
	mine = ("1", str(MAIN_PID))
	return [p for p in os.listdir("/proc") if p.isdigit() and p not in mine]


def reap_children():
	"""Collects the driver's own exited children (the rest are bubblewrap's to collect)."""
	while True:
		try:
			pid, _ = os.waitpid(-1, os.WNOHANG)
		except ChildProcessError:
			return
		if pid == 0:
			return


def reap_others():
	"""Ends whatever the code left running (background processes, a fork bomb's children):
	kill(-1) reaches every process of the sandbox but the driver and bubblewrap's init,
	which reaps them; wait (up to 2 s) until it has, so the next call starts clean."""
	for _ in range(200):
		reap_children()
		if not others():
			return
		try:
			os.kill(-1, signal.SIGKILL)
		except OSError:
			pass
		time.sleep(0.01)


def print_traceback(exc):
	tb = traceback.TracebackException.from_exception(exc)
	# drop the driver's own frame so the traceback starts in the code
	if tb.stack and tb.stack[0].filename == "<string>":
		del tb.stack[0]
	sys.stderr.write("".join(tb.format()))


def run(code, env):
	global cells
	cells += 1
	name = "<cell %d>" % cells
	linecache.cache[name] = (len(code), None, code.splitlines(True), name)
	reply = {"raised": False, "limit": None}
	del figures[:]
	before = cpu_seconds()
	try:
		arm(WALL_S)
		try:
			exec(compile(code, name, "exec"), env)
		finally:
			arm(0)
	except BaseException as exc:
		if os.getpid() != MAIN_PID:
			os._exit(1)  # a process the code forked: only the driver answers
		reply["raised"] = True
		if isinstance(exc, MemoryError):
			reply["limit"] = "memory"
		elif isinstance(exc, Limit):
			reply["limit"] = "cpu" if "CPU" in str(exc) else "wall"
		elif isinstance(exc, SystemExit):
			reply["raised"] = False
		if not isinstance(exc, SystemExit):
			print_traceback(exc)
	if os.getpid() != MAIN_PID:
		os._exit(0)
	try:
		save_figures()
	except BaseException as exc:
		print_traceback(exc)
	sys.stdout.flush()
	sys.stderr.flush()
	reap_others()
	reply["figures"] = list(figures)
	reply["cpu_ms"] = int((cpu_seconds() - before) * 1000)
	return reply


def main():
	global wake_r
	wake_r, wake_w = os.pipe()
	os.set_blocking(wake_w, False)
	signal.set_wakeup_fd(wake_w)
	signal.signal(signal.SIGXCPU, on_cpu)
	signal.signal(signal.SIGALRM, on_wall)
	resource.setrlimit(resource.RLIMIT_NPROC, (NPROC, NPROC))
	sys.meta_path.insert(0, BackendLoader())
	env = {"__name__": "__main__", "__builtins__": __builtins__}
	data_fd = os.open("/mnt/data", os.O_PATH | os.O_DIRECTORY)
	ready = json.dumps({"ready": True}).encode()
	socket.send_fds(chan, [len(ready).to_bytes(4, "big") + ready], [data_fd])
	os.close(data_fd)
	while True:
		n = int.from_bytes(recv_exact(4), "big")
		code = recv_exact(n).decode("utf-8", "replace")
		send(run(code, env))


main()
