build-dev/tests/test_netem.o: tests/test_netem.c emu/kernel.h emu/uml.h \
 emu/testbed.h emu/link.h netem/impair.h netem/probe.h tests/t.h
emu/kernel.h:
emu/uml.h:
emu/testbed.h:
emu/link.h:
netem/impair.h:
netem/probe.h:
tests/t.h:
