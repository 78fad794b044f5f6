build-dev/netem/probe.o: netem/probe.c emu/testbed.h emu/link.h \
 netem/impair.h netem/probe.h
emu/testbed.h:
emu/link.h:
netem/impair.h:
netem/probe.h:
