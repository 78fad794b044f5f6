build-dev/netem/check.o: netem/check.c commands.h emu/cgroup.h \
 emu/kernel.h emu/uml.h emu/testbed.h emu/link.h netem/impair.h \
 netem/probe.h
commands.h:
emu/cgroup.h:
emu/kernel.h:
emu/uml.h:
emu/testbed.h:
emu/link.h:
netem/impair.h:
netem/probe.h:
