"""PySide6 6.12.0 on Python 3.11 drops a reference to True on every Signal.emit() and aborts the
interpreter after a few hundred emits (bool_dealloc). pyproject.toml pins 6.11.2; this guards the pin."""
import subprocess
import sys

CODE = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
class O(QObject):
    s = Signal(int)
app = QCoreApplication([])
o = O()
o.s.connect(lambda v: None)
before = sys.getrefcount(True)
for i in range(20000):
    o.s.emit(i)
print(sys.getrefcount(True) - before)
"""


def test_twenty_thousand_emits_do_not_leak_or_crash():
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-500:]
    assert abs(int(r.stdout.strip())) < 100
